# Log classes: Infrequent Access only where no Standard-only feature is needed; the writer's EMF metrics keep it Standard.

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

run "infrequent_access_spares_the_writer" {
  command = plan

  variables {
    log_group_class = "INFREQUENT_ACCESS"
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

run "rejects_unknown_log_group_class" {
  command = plan

  variables {
    log_group_class = "DELIVERY"
  }

  expect_failures = [var.log_group_class]
}
