# Values Terraform's types accept but AWS would reject (or that would silently do the wrong thing): each is refused
# at plan by the variable's validation, before anything is created. The ranges of numbers are in validation.tftest.hcl.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name = "cdc-safe"
}

# Each run below gives several variables a value their validation must refuse, and lists every one of them:
# Terraform checks every variable and a run fails if a listed variable is accepted or an unlisted one is refused, so
# each validation is still proven on its own. A variable with several wrong values gets one in each run.
run "rejects_unsafe_values_1" {
  command = plan

  variables {
    name        = "1cdc"                                                                        # starting with digit
    tags        = { "aws:cloudformation:stack-name" = "x" }                                     # reserved prefix
    kms_key_arn = "arn:aws:sqs:us-east-1:123456789012:key/0b3f6e9c-1d2e-4f5a-8b7c-9d0e1f2a3b4c" # the ARN of another service
    # A destination is a whole bucket: an object ARN (bucket/key) is not one AWS accepts.
    on_failure_destination_arn = "arn:aws:s3:::failures-bucket/failed/batch.json"              # s3 object
    code_signing_config_arn    = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/cdc" # the ARN of a signing profile
    subnet_ids                 = ["vpc-0a1b2c3d4e5f60718"]                                     # vpc id
    security_group_ids         = ["default"]                                                   # name
    log_retention_in_days      = -1                                                            # negative
    writer_memory_size         = 256.5                                                         # fraction
    service_name               = " "                                                           # blank
    metrics_namespace          = "AWS/Lambda"                                                  # reserved
    build_dir                  = ""                                                            # blank
    consumer_extra_source_dir  = "./no-such-directory"                                         # missing
    jwt_audience               = [""]                                                          # blank
    cors                       = { allow_origins = ["https://app.example.com/"] }              # origin with path
  }

  expect_failures = [
    var.name,
    var.tags,
    var.kms_key_arn,
    var.on_failure_destination_arn,
    var.code_signing_config_arn,
    var.subnet_ids,
    var.security_group_ids,
    var.log_retention_in_days,
    var.writer_memory_size,
    var.service_name,
    var.metrics_namespace,
    var.build_dir,
    var.consumer_extra_source_dir,
    var.jwt_audience,
    var.cors,
  ]
}

run "rejects_unsafe_values_2" {
  command = plan

  variables {
    tags                    = { for i in range(51) : "tag${i}" => "v" }                                  # too many
    kms_key_arn             = "arn:aws:kms:us-east-1:123456789012:alias/cdc"                             # an alias ARN
    code_signing_config_arn = "csc-0a1b2c3d4e5f60718"                                                    # a config id alone
    subnet_ids              = [for i in range(17) : format("subnet-%08x", i)]                            # too many
    security_group_ids      = [for i in range(6) : format("sg-%08x", i)]                                 # too many
    log_retention_in_days   = 730                                                                        # between accepted values
    metrics_namespace       = "products|cdc"                                                             # characters
    cors                    = { allow_origins = ["https://app.example.com"], allow_methods = ["FETCH"] } # method
  }

  expect_failures = [
    var.tags,
    var.kms_key_arn,
    var.code_signing_config_arn,
    var.subnet_ids,
    var.security_group_ids,
    var.log_retention_in_days,
    var.metrics_namespace,
    var.cors,
  ]
}

run "rejects_unsafe_values_3" {
  command = plan

  variables {
    tags        = { team = join("", [for i in range(257) : "x"]) }    # long value
    kms_key_arn = "0b3f6e9c-1d2e-4f5a-8b7c-9d0e1f2a3b4c"              # a key id alone
    cors        = { allow_origins = ["*"], allow_credentials = true } # credentials with any origin
  }

  expect_failures = [
    var.tags,
    var.kms_key_arn,
    var.cors,
  ]
}

run "rejects_subnets_without_security_groups" {
  command = plan

  variables {
    subnet_ids = ["subnet-0a1b2c3d4e5f60718"]
  }

  expect_failures = [aws_lambda_function.this]
}

run "rejects_security_groups_without_subnets" {
  command = plan

  variables {
    security_group_ids = ["sg-0123456789abcdef0"]
  }

  expect_failures = [aws_lambda_function.this]
}

# The edges of what is accepted: the same checks must not refuse values AWS takes.
run "accepts_valid_values" {
  command = plan

  variables {
    name                      = "a"
    tags                      = { "team:catalog" = "" }
    kms_key_arn               = "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/0b3f6e9c-1d2e-4f5a-8b7c-9d0e1f2a3b4c"
    code_signing_config_arn   = "arn:aws:lambda:eu-west-1:123456789012:code-signing-config:csc-0a1b2c3d4e5f60718"
    subnet_ids                = [for i in range(16) : format("subnet-%08x", i)]
    security_group_ids        = [for i in range(5) : format("sg-%017x", i)]
    log_retention_in_days     = 3653
    metrics_namespace         = "Catalog/Products CDC"
    consumer_extra_source_dir = "./examples/complete/consumer_extension"
    cors                      = { allow_origins = ["https://app.example.com:8443"], allow_methods = ["*"], allow_credentials = true }
  }

  assert {
    condition     = length(aws_lambda_function.this["writer"].vpc_config[0].subnet_ids) == 16
    error_message = "Sixteen subnets are within Lambda's limit."
  }
}

# The longest accepted name, with the longest suffix the module appends to it, still fits every AWS name limit.
run "longest_name_fits_every_derived_name" {
  command = plan

  variables {
    name               = "a23456789-123456789-123456789-12"
    authorization_type = "JWT"
    jwt_issuer         = "https://issuer.example.com/"
    jwt_audience       = ["products"]
  }

  assert {
    condition = alltrue([
      length(var.name) == 32,
      length(aws_lambda_function.this["writer"].function_name) <= 64,
      length(aws_lambda_function.this["consumer"].function_name) <= 64,
      length(aws_lambda_layer_version.dependencies[0].layer_name) <= 64,
      length(aws_iam_role.this["writer"].name) <= 64,
      length(aws_iam_role.this["consumer"].name) <= 64,
      length(aws_iam_role_policy.this["writer"].name) <= 128,
      length(aws_iam_role_policy.this["consumer"].name) <= 128,
      length(aws_s3_bucket.failures[0].bucket_prefix) <= 37,
      length(aws_lambda_function.this["redrive"].function_name) <= 64,
      length(aws_iam_role.this["redrive"].name) <= 64,
      alltrue([for alarm in aws_cloudwatch_metric_alarm.this : length(alarm.alarm_name) <= 255]),
      length(aws_dynamodb_table.products[0].name) <= 255,
      length(aws_dynamodb_table.idempotency[0].name) <= 255,
      length(aws_apigatewayv2_api.this[0].name) <= 128,
      length(aws_apigatewayv2_authorizer.jwt[0].name) <= 128,
      length(aws_cloudwatch_log_group.api_access[0].name) <= 512,
    ])
    error_message = "A 32-character name must give names within Lambda's, IAM's, S3's, DynamoDB's, API Gateway's, CloudWatch's and CloudWatch Logs' limits."
  }
}
