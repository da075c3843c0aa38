# One run per validated variable: a value outside what AWS accepts is rejected at plan, before anything is created.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name = "cdc-val"
}

run "rejects_name_too_long" {
  command = plan

  variables {
    name = "a-name-that-is-far-too-long-for-lambda"
  }

  expect_failures = [var.name]
}

run "rejects_name_bad_characters" {
  command = plan

  variables {
    name = "cdc_test"
  }

  expect_failures = [var.name]
}

run "rejects_name_trailing_hyphen" {
  command = plan

  variables {
    name = "cdc-"
  }

  expect_failures = [var.name]
}

run "rejects_billing_mode" {
  command = plan

  variables {
    billing_mode = "ON_DEMAND"
  }

  expect_failures = [var.billing_mode]
}

run "rejects_read_capacity" {
  command = plan

  variables {
    read_capacity = 0
  }

  expect_failures = [var.read_capacity]
}

run "rejects_write_capacity" {
  command = plan

  variables {
    write_capacity = 1.5
  }

  expect_failures = [var.write_capacity]
}

run "rejects_stream_view_type" {
  command = plan

  variables {
    stream_view_type = "NEW_IMAGES"
  }

  expect_failures = [var.stream_view_type]
}

run "rejects_kms_key_arn" {
  command = plan

  variables {
    kms_key_arn = "alias/aws/dynamodb"
  }

  expect_failures = [var.kms_key_arn]
}

run "rejects_ttl_attribute_name" {
  command = plan

  variables {
    ttl_attribute_name = ""
  }

  expect_failures = [var.ttl_attribute_name]
}

run "rejects_runtime" {
  command = plan

  variables {
    runtime = "python3.8"
  }

  expect_failures = [var.runtime]
}

run "rejects_architecture" {
  command = plan

  variables {
    architecture = "aarch64"
  }

  expect_failures = [var.architecture]
}

run "rejects_build_python" {
  command = plan

  variables {
    build_python = "  "
  }

  expect_failures = [var.build_python]
}

run "rejects_log_level" {
  command = plan

  variables {
    log_level = "TRACE"
  }

  expect_failures = [var.log_level]
}

run "rejects_log_retention_in_days" {
  command = plan

  variables {
    log_retention_in_days = 10
  }

  expect_failures = [var.log_retention_in_days]
}

run "rejects_tracing_mode" {
  command = plan

  variables {
    tracing_mode = "Enabled"
  }

  expect_failures = [var.tracing_mode]
}

run "rejects_writer_memory_size" {
  command = plan

  variables {
    writer_memory_size = 64
  }

  expect_failures = [var.writer_memory_size]
}

run "rejects_writer_timeout" {
  command = plan

  variables {
    writer_timeout = 901
  }

  expect_failures = [var.writer_timeout]
}

run "rejects_writer_reserved_concurrent_executions" {
  command = plan

  variables {
    writer_reserved_concurrent_executions = -1
  }

  expect_failures = [var.writer_reserved_concurrent_executions]
}

run "rejects_consumer_memory_size" {
  command = plan

  variables {
    consumer_memory_size = 10241
  }

  expect_failures = [var.consumer_memory_size]
}

run "rejects_consumer_timeout" {
  command = plan

  variables {
    consumer_timeout = 0
  }

  expect_failures = [var.consumer_timeout]
}

run "rejects_consumer_reserved_concurrent_executions" {
  command = plan

  variables {
    consumer_reserved_concurrent_executions = -1
  }

  expect_failures = [var.consumer_reserved_concurrent_executions]
}

run "rejects_consumer_record_handler" {
  command = plan

  variables {
    consumer_record_handler = "custom_records.handle"
  }

  expect_failures = [var.consumer_record_handler]
}

run "rejects_batch_size_low" {
  command = plan

  variables {
    batch_size = 0
  }

  expect_failures = [var.batch_size]
}

run "rejects_batch_size_high" {
  command = plan

  variables {
    batch_size = 10001
  }

  expect_failures = [var.batch_size]
}

run "rejects_maximum_batching_window_in_seconds" {
  command = plan

  variables {
    maximum_batching_window_in_seconds = 301
  }

  expect_failures = [var.maximum_batching_window_in_seconds]
}

run "rejects_starting_position" {
  command = plan

  variables {
    starting_position = "AT_TIMESTAMP"
  }

  expect_failures = [var.starting_position]
}

run "rejects_maximum_retry_attempts_low" {
  command = plan

  variables {
    maximum_retry_attempts = -2
  }

  expect_failures = [var.maximum_retry_attempts]
}

run "rejects_maximum_retry_attempts_high" {
  command = plan

  variables {
    maximum_retry_attempts = 10001
  }

  expect_failures = [var.maximum_retry_attempts]
}

run "rejects_maximum_record_age_in_seconds_gap" {
  command = plan

  variables {
    maximum_record_age_in_seconds = 59
  }

  expect_failures = [var.maximum_record_age_in_seconds]
}

run "rejects_maximum_record_age_in_seconds_high" {
  command = plan

  variables {
    maximum_record_age_in_seconds = 604801
  }

  expect_failures = [var.maximum_record_age_in_seconds]
}

run "rejects_parallelization_factor_low" {
  command = plan

  variables {
    parallelization_factor = 0
  }

  expect_failures = [var.parallelization_factor]
}

run "rejects_parallelization_factor_high" {
  command = plan

  variables {
    parallelization_factor = 11
  }

  expect_failures = [var.parallelization_factor]
}

run "rejects_tumbling_window_in_seconds" {
  command = plan

  variables {
    tumbling_window_in_seconds = 901
  }

  expect_failures = [var.tumbling_window_in_seconds]
}

run "rejects_filter_patterns_too_many" {
  command = plan

  variables {
    filter_patterns = [for i in range(6) : jsonencode({ eventName = ["INSERT"] })]
  }

  expect_failures = [var.filter_patterns]
}

run "rejects_filter_patterns_not_json" {
  command = plan

  variables {
    filter_patterns = ["eventName = INSERT"]
  }

  expect_failures = [var.filter_patterns]
}

run "rejects_on_failure_destination_arn_lambda" {
  command = plan

  variables {
    on_failure_destination_arn = "arn:aws:lambda:us-east-1:123456789012:function:failures"
  }

  expect_failures = [var.on_failure_destination_arn]
}

run "rejects_on_failure_destination_arn_not_arn" {
  command = plan

  variables {
    on_failure_destination_arn = "https://sqs.us-east-1.amazonaws.com/123456789012/failures"
  }

  expect_failures = [var.on_failure_destination_arn]
}

run "rejects_authorization_type" {
  command = plan

  variables {
    authorization_type = "COGNITO"
  }

  expect_failures = [var.authorization_type]
}

run "rejects_jwt_issuer" {
  command = plan

  variables {
    jwt_issuer = "http://issuer.example.com/"
  }

  expect_failures = [var.jwt_issuer]
}

run "rejects_throttling_burst_limit" {
  command = plan

  variables {
    throttling_burst_limit = -1
  }

  expect_failures = [var.throttling_burst_limit]
}

run "rejects_throttling_rate_limit" {
  command = plan

  variables {
    throttling_rate_limit = 10001
  }

  expect_failures = [var.throttling_rate_limit]
}

run "rejects_cors_without_origins" {
  command = plan

  variables {
    cors = { allow_origins = [] }
  }

  expect_failures = [var.cors]
}

run "rejects_cors_max_age" {
  command = plan

  variables {
    cors = { allow_origins = ["*"], max_age = 86401 }
  }

  expect_failures = [var.cors]
}

run "rejects_jwt_without_issuer_and_audience" {
  command = plan

  variables {
    authorization_type = "JWT"
  }

  expect_failures = [aws_apigatewayv2_authorizer.jwt]
}

run "rejects_no_on_failure_destination" {
  command = plan

  variables {
    create_on_failure_destination = false
  }

  expect_failures = [aws_lambda_event_source_mapping.stream]
}
