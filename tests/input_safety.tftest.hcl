# Values Terraform's types accept but AWS would reject (or that would silently do the wrong thing): each is refused
# at plan by the variable's validation, before anything is created. The ranges of numbers are in validation.tftest.hcl.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name = "cdc-safe"
}

run "rejects_name_starting_with_digit" {
  command = plan

  variables {
    name = "1cdc"
  }

  expect_failures = [var.name]
}

run "rejects_tags_reserved_prefix" {
  command = plan

  variables {
    tags = { "aws:cloudformation:stack-name" = "x" }
  }

  expect_failures = [var.tags]
}

run "rejects_tags_too_many" {
  command = plan

  variables {
    tags = { for i in range(51) : "tag${i}" => "v" }
  }

  expect_failures = [var.tags]
}

run "rejects_tags_long_value" {
  command = plan

  variables {
    tags = { team = join("", [for i in range(257) : "x"]) }
  }

  expect_failures = [var.tags]
}

run "rejects_kms_key_arn_of_another_service" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:sqs:us-east-1:123456789012:key/0b3f6e9c-1d2e-4f5a-8b7c-9d0e1f2a3b4c"
  }

  expect_failures = [var.kms_key_arn]
}

run "rejects_kms_alias_arn" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:123456789012:alias/cdc"
  }

  expect_failures = [var.kms_key_arn]
}

run "rejects_kms_key_id_alone" {
  command = plan

  variables {
    kms_key_arn = "0b3f6e9c-1d2e-4f5a-8b7c-9d0e1f2a3b4c"
  }

  expect_failures = [var.kms_key_arn]
}

# A destination is a whole bucket: an object ARN (bucket/key) is not one AWS accepts.
run "rejects_on_failure_destination_arn_s3_object" {
  command = plan

  variables {
    on_failure_destination_arn = "arn:aws:s3:::failures-bucket/failed/batch.json"
  }

  expect_failures = [var.on_failure_destination_arn]
}

run "rejects_code_signing_config_arn_of_a_signing_profile" {
  command = plan

  variables {
    code_signing_config_arn = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/cdc"
  }

  expect_failures = [var.code_signing_config_arn]
}

run "rejects_code_signing_config_id_alone" {
  command = plan

  variables {
    code_signing_config_arn = "csc-0a1b2c3d4e5f60718"
  }

  expect_failures = [var.code_signing_config_arn]
}

run "rejects_subnet_ids_vpc_id" {
  command = plan

  variables {
    subnet_ids         = ["vpc-0a1b2c3d4e5f60718"]
    security_group_ids = ["sg-0123456789abcdef0"]
  }

  expect_failures = [var.subnet_ids]
}

run "rejects_subnet_ids_too_many" {
  command = plan

  variables {
    subnet_ids         = [for i in range(17) : format("subnet-%08x", i)]
    security_group_ids = ["sg-0123456789abcdef0"]
  }

  expect_failures = [var.subnet_ids]
}

run "rejects_security_group_ids_name" {
  command = plan

  variables {
    subnet_ids         = ["subnet-0a1b2c3d4e5f60718"]
    security_group_ids = ["default"]
  }

  expect_failures = [var.security_group_ids]
}

run "rejects_security_group_ids_too_many" {
  command = plan

  variables {
    subnet_ids         = ["subnet-0a1b2c3d4e5f60718"]
    security_group_ids = [for i in range(6) : format("sg-%08x", i)]
  }

  expect_failures = [var.security_group_ids]
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

run "rejects_log_retention_in_days_negative" {
  command = plan

  variables {
    log_retention_in_days = -1
  }

  expect_failures = [var.log_retention_in_days]
}

run "rejects_log_retention_in_days_between_accepted_values" {
  command = plan

  variables {
    log_retention_in_days = 730
  }

  expect_failures = [var.log_retention_in_days]
}

run "rejects_writer_memory_size_fraction" {
  command = plan

  variables {
    writer_memory_size = 256.5
  }

  expect_failures = [var.writer_memory_size]
}

run "rejects_service_name_blank" {
  command = plan

  variables {
    service_name = " "
  }

  expect_failures = [var.service_name]
}

run "rejects_metrics_namespace_reserved" {
  command = plan

  variables {
    metrics_namespace = "AWS/Lambda"
  }

  expect_failures = [var.metrics_namespace]
}

run "rejects_metrics_namespace_characters" {
  command = plan

  variables {
    metrics_namespace = "products|cdc"
  }

  expect_failures = [var.metrics_namespace]
}

run "rejects_build_dir_blank" {
  command = plan

  variables {
    build_dir = ""
  }

  expect_failures = [var.build_dir]
}

run "rejects_consumer_extra_source_dir_missing" {
  command = plan

  variables {
    consumer_extra_source_dir = "./no-such-directory"
  }

  expect_failures = [var.consumer_extra_source_dir]
}

run "rejects_jwt_audience_blank" {
  command = plan

  variables {
    jwt_audience = [""]
  }

  expect_failures = [var.jwt_audience]
}

run "rejects_cors_origin_with_path" {
  command = plan

  variables {
    cors = { allow_origins = ["https://app.example.com/"] }
  }

  expect_failures = [var.cors]
}

run "rejects_cors_method" {
  command = plan

  variables {
    cors = { allow_origins = ["https://app.example.com"], allow_methods = ["FETCH"] }
  }

  expect_failures = [var.cors]
}

run "rejects_cors_credentials_with_any_origin" {
  command = plan

  variables {
    cors = { allow_origins = ["*"], allow_credentials = true }
  }

  expect_failures = [var.cors]
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
