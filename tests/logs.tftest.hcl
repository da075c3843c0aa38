# What the logs cost: log classes (Infrequent Access only where no Standard-only feature is needed; the writer's EMF
# metrics keep it Standard) and the consumer's log mode.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name = "cdc-logs"
}

run "standard_by_default" {
  command = plan

  assert {
    condition     = alltrue([for g in [aws_cloudwatch_log_group.this["writer"], aws_cloudwatch_log_group.this["consumer"], aws_cloudwatch_log_group.api_access[0]] : g.log_group_class == "STANDARD"])
    error_message = "Every log group must be STANDARD unless log_group_class says otherwise."
  }
}

run "infrequent_access_spares_the_writer_and_changes_mode_reaches_the_consumer" {
  command = plan

  variables {
    log_group_class   = "INFREQUENT_ACCESS"
    consumer_log_mode = "changes"
  }

  assert {
    condition     = aws_lambda_function.this["consumer"].environment[0].variables["LOG_MODE"] == "changes"
    error_message = "consumer_log_mode = \"changes\" must reach the consumer as LOG_MODE."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this["consumer"].log_group_class == "INFREQUENT_ACCESS" && aws_cloudwatch_log_group.api_access[0].log_group_class == "INFREQUENT_ACCESS"
    error_message = "The consumer's and the access log's groups must take the INFREQUENT_ACCESS class."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this["writer"].log_group_class == "STANDARD"
    error_message = "The writer's log group must stay STANDARD: its metrics are embedded metric format lines."
  }
}

run "rejects_unknown_log_group_class_and_log_mode" {
  command = plan

  variables {
    log_group_class   = "DELIVERY"
    consumer_log_mode = "diff"
  }

  expect_failures = [var.log_group_class, var.consumer_log_mode]
}

run "rejects_a_log_mode_with_a_record_handler" {
  command = plan

  variables {
    consumer_log_mode       = "changes"
    consumer_record_handler = "my_records:handle"
  }

  expect_failures = [aws_lambda_function.this]
}
