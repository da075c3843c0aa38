# Every validated variable: a value outside what AWS accepts is rejected at plan, before anything is created.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name = "cdc-val"
}

# Each run below gives several variables a value their validation must refuse, and lists every one of them:
# Terraform checks every variable and a run fails if a listed variable is accepted or an unlisted one is refused, so
# each validation is still proven on its own. A variable with several wrong values gets one in each run.
run "rejects_invalid_values_1" {
  command = plan

  variables {
    name                                    = "a-name-that-is-far-too-long-for-lambda" # too long
    billing_mode                            = "ON_DEMAND"
    read_capacity                           = 0
    write_capacity                          = 1.5
    stream_view_type                        = "NEW_IMAGES"
    kms_key_arn                             = "alias/aws/dynamodb"
    ttl_attribute_name                      = ""
    runtime                                 = "python3.8"
    architecture                            = "aarch64"
    build_python                            = "  "
    log_level                               = "TRACE"
    log_retention_in_days                   = 10
    tracing_mode                            = "Enabled"
    writer_memory_size                      = 64
    writer_timeout                          = 901
    writer_reserved_concurrent_executions   = -1
    consumer_memory_size                    = 10241
    consumer_timeout                        = 0
    consumer_reserved_concurrent_executions = -1
    consumer_record_handler                 = "custom_records.handle"
    batch_size                              = 0 # low
    maximum_batching_window_in_seconds      = 301
    starting_position                       = "AT_TIMESTAMP"
    maximum_retry_attempts                  = -2 # low
    maximum_record_age_in_seconds           = 59 # gap
    parallelization_factor                  = 0  # low
    tumbling_window_in_seconds              = 901
    filter_patterns                         = [for i in range(6) : jsonencode({ eventName = ["INSERT"] })] # too many
    on_failure_destination_arn              = "arn:aws:lambda:us-east-1:123456789012:function:failures"    # lambda
    authorization_type                      = "COGNITO"
    jwt_issuer                              = "http://issuer.example.com/"
    throttling_burst_limit                  = -1
    throttling_rate_limit                   = 10001
    cors                                    = { allow_origins = [] } # without origins
  }

  expect_failures = [
    var.name,
    var.billing_mode,
    var.read_capacity,
    var.write_capacity,
    var.stream_view_type,
    var.kms_key_arn,
    var.ttl_attribute_name,
    var.runtime,
    var.architecture,
    var.build_python,
    var.log_level,
    var.log_retention_in_days,
    var.tracing_mode,
    var.writer_memory_size,
    var.writer_timeout,
    var.writer_reserved_concurrent_executions,
    var.consumer_memory_size,
    var.consumer_timeout,
    var.consumer_reserved_concurrent_executions,
    var.consumer_record_handler,
    var.batch_size,
    var.maximum_batching_window_in_seconds,
    var.starting_position,
    var.maximum_retry_attempts,
    var.maximum_record_age_in_seconds,
    var.parallelization_factor,
    var.tumbling_window_in_seconds,
    var.filter_patterns,
    var.on_failure_destination_arn,
    var.authorization_type,
    var.jwt_issuer,
    var.throttling_burst_limit,
    var.throttling_rate_limit,
    var.cors,
  ]
}

run "rejects_invalid_values_2" {
  command = plan

  variables {
    name                          = "cdc_test"                                                  # bad characters
    batch_size                    = 10001                                                       # high
    maximum_retry_attempts        = 10001                                                       # high
    maximum_record_age_in_seconds = 604801                                                      # high
    parallelization_factor        = 11                                                          # high
    filter_patterns               = ["eventName = INSERT"]                                      # not json
    on_failure_destination_arn    = "https://sqs.us-east-1.amazonaws.com/123456789012/failures" # not arn
    cors                          = { allow_origins = ["*"], max_age = 86401 }                  # max age
  }

  expect_failures = [
    var.name,
    var.batch_size,
    var.maximum_retry_attempts,
    var.maximum_record_age_in_seconds,
    var.parallelization_factor,
    var.filter_patterns,
    var.on_failure_destination_arn,
    var.cors,
  ]
}

run "rejects_invalid_values_3" {
  command = plan

  variables {
    name = "cdc-" # trailing hyphen
  }

  expect_failures = [
    var.name,
  ]
}

# Two preconditions on different resources, each checked although the other fails: a JWT authorizer needs an
# issuer and an audience, and the event source mapping needs an on-failure destination.
run "rejects_jwt_without_issuer_and_audience_and_no_on_failure_destination" {
  command = plan

  variables {
    authorization_type            = "JWT"
    create_on_failure_destination = false
  }

  expect_failures = [
    aws_apigatewayv2_authorizer.jwt,
    aws_lambda_event_source_mapping.stream,
  ]
}
