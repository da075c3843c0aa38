# Non-default settings: each run turns one group of options on and asserts where it lands.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name = "cdc-opt"
}

run "provisioned_billing" {
  command = plan

  variables {
    billing_mode   = "PROVISIONED"
    read_capacity  = 7
    write_capacity = 3
  }

  assert {
    condition     = aws_dynamodb_table.products[0].billing_mode == "PROVISIONED" && aws_dynamodb_table.products[0].read_capacity == 7 && aws_dynamodb_table.products[0].write_capacity == 3
    error_message = "PROVISIONED billing must pass the capacities through."
  }
}

run "customer_managed_key" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/0b3f6e9c-1d2e-4f5a-8b7c-9d0e1f2a3b4c"
  }

  assert {
    condition     = aws_dynamodb_table.products[0].server_side_encryption[0].kms_key_arn == var.kms_key_arn && aws_dynamodb_table.idempotency[0].server_side_encryption[0].kms_key_arn == var.kms_key_arn
    error_message = "Both tables must be encrypted with the given key."
  }

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.failures[0].rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms" && one(aws_s3_bucket_server_side_encryption_configuration.failures[0].rule).apply_server_side_encryption_by_default[0].kms_master_key_id == var.kms_key_arn && one(aws_s3_bucket_server_side_encryption_configuration.failures[0].rule).bucket_key_enabled
    error_message = "The failure bucket must switch from SSE-S3 to SSE-KMS with the given key and a bucket key."
  }

  assert {
    condition     = alltrue([for g in [aws_cloudwatch_log_group.this["writer"], aws_cloudwatch_log_group.this["consumer"], aws_cloudwatch_log_group.api_access[0]] : g.kms_key_id == var.kms_key_arn])
    error_message = "Every log group must be encrypted with the given key."
  }

  assert {
    condition = alltrue([
      for doc in data.aws_iam_policy_document.this :
      contains([for s in doc.statement : s.sid if s.resources == toset([var.kms_key_arn]) && s.actions == toset(["kms:Decrypt", "kms:GenerateDataKey"])], "CustomerManagedKey")
    ])
    error_message = "Both roles must be allowed to decrypt and generate data keys with the given key, and only it."
  }
}

run "ttl_attribute" {
  command = plan

  variables {
    ttl_attribute_name = "expires_at"
  }

  assert {
    condition     = aws_dynamodb_table.products[0].ttl[0].attribute_name == "expires_at" && aws_dynamodb_table.products[0].ttl[0].enabled
    error_message = "ttl_attribute_name must turn TTL on for that attribute."
  }
}

run "protected_and_unrecoverable" {
  command = plan

  variables {
    deletion_protection_enabled    = true
    point_in_time_recovery_enabled = false
  }

  assert {
    condition     = aws_dynamodb_table.products[0].deletion_protection_enabled && aws_dynamodb_table.idempotency[0].deletion_protection_enabled
    error_message = "deletion_protection_enabled must reach both tables."
  }

  assert {
    condition     = !aws_dynamodb_table.products[0].point_in_time_recovery[0].enabled
    error_message = "point_in_time_recovery_enabled = false must turn PITR off."
  }
}

run "stream_view_type" {
  command = plan

  variables {
    stream_view_type = "KEYS_ONLY"
  }

  assert {
    condition     = aws_dynamodb_table.products[0].stream_view_type == "KEYS_ONLY"
    error_message = "stream_view_type must reach the table."
  }
}

run "idempotency_disabled" {
  command = plan

  variables {
    idempotency_enabled = false
  }

  assert {
    condition     = length(aws_dynamodb_table.idempotency) == 0 && output.idempotency_table_name == null && output.idempotency_table_arn == null
    error_message = "Without idempotency there is no idempotency table."
  }

  assert {
    condition     = !contains(keys(aws_lambda_function.this["writer"].environment[0].variables), "IDEMPOTENCY_TABLE_NAME")
    error_message = "Without idempotency the writer gets no IDEMPOTENCY_TABLE_NAME."
  }

  assert {
    condition     = !contains([for s in data.aws_iam_policy_document.this["writer"].statement : s.sid], "IdempotencyRecords")
    error_message = "Without idempotency the writer gets no access to an idempotency table."
  }
}

run "every_mapping_knob" {
  command = plan

  variables {
    event_source_mapping_enabled       = false
    batch_size                         = 10000
    maximum_batching_window_in_seconds = 300
    starting_position                  = "LATEST"
    maximum_retry_attempts             = -1
    maximum_record_age_in_seconds      = -1
    bisect_batch_on_function_error     = false
    parallelization_factor             = 10
    tumbling_window_in_seconds         = 900
    report_batch_item_failures         = false
    filter_patterns = [
      jsonencode({ eventName = ["INSERT"] }),
      jsonencode({ eventName = ["MODIFY"], dynamodb = { NewImage = { category = { S = ["books"] } } } }),
    ]
  }

  assert {
    condition = alltrue([
      !aws_lambda_event_source_mapping.stream.enabled,
      aws_lambda_event_source_mapping.stream.batch_size == 10000,
      aws_lambda_event_source_mapping.stream.maximum_batching_window_in_seconds == 300,
      aws_lambda_event_source_mapping.stream.starting_position == "LATEST",
      aws_lambda_event_source_mapping.stream.maximum_retry_attempts == -1,
      aws_lambda_event_source_mapping.stream.maximum_record_age_in_seconds == -1,
      !aws_lambda_event_source_mapping.stream.bisect_batch_on_function_error,
      aws_lambda_event_source_mapping.stream.parallelization_factor == 10,
      aws_lambda_event_source_mapping.stream.tumbling_window_in_seconds == 900,
      length(aws_lambda_event_source_mapping.stream.function_response_types) == 0,
    ])
    error_message = "Every mapping variable, at the edge of its range, must reach the mapping."
  }

  assert {
    condition     = toset([for f in aws_lambda_event_source_mapping.stream.filter_criteria[0].filter : f.pattern]) == toset(var.filter_patterns)
    error_message = "Each filter pattern must become one filter of the mapping."
  }
}

run "lower_range_edges" {
  command = plan

  variables {
    batch_size                    = 1
    maximum_retry_attempts        = 0
    maximum_record_age_in_seconds = 60
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.batch_size == 1 && aws_lambda_event_source_mapping.stream.maximum_retry_attempts == 0 && aws_lambda_event_source_mapping.stream.maximum_record_age_in_seconds == 60
    error_message = "The lower edges of the AWS ranges must be accepted."
  }
}

run "sns_destination" {
  command = plan

  variables {
    on_failure_destination_type = "sns"
    on_failure_destination_arn  = "arn:aws:sns:us-east-1:123456789012:cdc-failures"
  }

  assert {
    condition     = length(aws_sqs_queue.dead_letter) == 0 && length(aws_sns_topic.failures) == 0 && length(aws_s3_bucket.failures) == 0 && output.dead_letter_queue_url == null
    error_message = "A given destination replaces the module's bucket, queue and topic."
  }

  assert {
    condition     = aws_sns_topic_subscription.failure_pointers[0].topic_arn == var.on_failure_destination_arn && output.failure_queue_url == aws_sqs_queue.failure_pointers[0].url
    error_message = "The redrive's pointer queue must be subscribed to the given topic."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.destination_config[0].on_failure[0].destination_arn == var.on_failure_destination_arn && output.on_failure_destination_arn == var.on_failure_destination_arn
    error_message = "The mapping must send failures to the given topic."
  }

  assert {
    condition     = one([for s in data.aws_iam_policy_document.this["consumer"].statement : s if s.sid == "OnFailureDestination"]).actions == toset(["sns:Publish"]) && one([for s in data.aws_iam_policy_document.this["consumer"].statement : s if s.sid == "OnFailureDestination"]).resources == toset([var.on_failure_destination_arn])
    error_message = "The consumer may publish to exactly the given topic."
  }
}

run "sqs_destination" {
  command = plan

  variables {
    on_failure_destination_type = "sqs"
    on_failure_destination_arn  = "arn:aws:sqs:eu-west-1:123456789012:shared-failures"
  }

  assert {
    condition     = one([for s in data.aws_iam_policy_document.this["consumer"].statement : s if s.sid == "OnFailureDestination"]).actions == toset(["sqs:SendMessage"])
    error_message = "The consumer may send to the given queue with sqs:SendMessage."
  }

  assert {
    condition     = output.failure_queue_url == "https://sqs.eu-west-1.amazonaws.com/123456789012/shared-failures" && output.dead_letter_queue_url == null
    error_message = "The redrive must read the given queue, whose URL follows from its ARN; the module made no queue."
  }
}

run "jwt_authorization" {
  command = plan

  variables {
    authorization_type = "JWT"
    jwt_issuer         = "https://issuer.example.com/"
    jwt_audience       = ["products-api"]
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.jwt[0].authorizer_type == "JWT" && aws_apigatewayv2_authorizer.jwt[0].jwt_configuration[0].issuer == "https://issuer.example.com/" && aws_apigatewayv2_authorizer.jwt[0].jwt_configuration[0].audience == toset(["products-api"])
    error_message = "JWT authorization must create an authorizer with the issuer and audience."
  }

  assert {
    condition     = alltrue([for r in aws_apigatewayv2_route.writer : r.authorization_type == "JWT" && r.authorizer_id == aws_apigatewayv2_authorizer.jwt[0].id])
    error_message = "Every route must use the JWT authorizer."
  }
}

run "no_authorization" {
  command = plan

  variables {
    authorization_type = "NONE"
  }

  assert {
    condition     = alltrue([for r in aws_apigatewayv2_route.writer : r.authorization_type == "NONE"])
    error_message = "authorization_type NONE must open every route."
  }
}

run "cors_and_throttling" {
  command = plan

  variables {
    cors                   = { allow_origins = ["https://shop.example.com"] }
    throttling_burst_limit = 5
    throttling_rate_limit  = 2.5
  }

  assert {
    condition     = aws_apigatewayv2_api.this[0].cors_configuration[0].allow_origins == toset(["https://shop.example.com"]) && aws_apigatewayv2_api.this[0].cors_configuration[0].max_age == 300
    error_message = "cors must configure the API, filling the optional fields with their defaults."
  }

  assert {
    condition     = aws_apigatewayv2_stage.default[0].default_route_settings[0].throttling_burst_limit == 5 && aws_apigatewayv2_stage.default[0].default_route_settings[0].throttling_rate_limit == 2.5
    error_message = "Throttling variables must reach the stage."
  }
}

run "function_settings" {
  command = plan

  variables {
    runtime                                 = "python3.12"
    architecture                            = "x86_64"
    writer_memory_size                      = 1024
    writer_timeout                          = 29
    writer_reserved_concurrent_executions   = 10
    consumer_memory_size                    = 512
    consumer_timeout                        = 120
    consumer_reserved_concurrent_executions = 0
    tracing_mode                            = "PassThrough"
    log_level                               = "DEBUG"
    log_retention_in_days                   = 0
    service_name                            = "products"
    metrics_namespace                       = "Shop"
    build_dir                               = "/tmp/cdc-packages"
  }

  assert {
    condition     = aws_lambda_function.this["writer"].runtime == "python3.12" && aws_lambda_function.this["consumer"].architectures == tolist(["x86_64"])
    error_message = "runtime and architecture must reach the functions."
  }

  assert {
    condition     = aws_lambda_layer_version.dependencies[0].compatible_runtimes == toset(["python3.12"]) && aws_lambda_layer_version.dependencies[0].compatible_architectures == toset(["x86_64"])
    error_message = "runtime and architecture must reach the layer."
  }

  assert {
    condition     = aws_lambda_function.this["writer"].memory_size == 1024 && aws_lambda_function.this["writer"].timeout == 29 && aws_lambda_function.this["writer"].reserved_concurrent_executions == 10
    error_message = "Writer settings must reach the writer."
  }

  assert {
    condition     = aws_lambda_function.this["consumer"].memory_size == 512 && aws_lambda_function.this["consumer"].timeout == 120 && aws_lambda_function.this["consumer"].reserved_concurrent_executions == 0
    error_message = "Consumer settings must reach the consumer."
  }

  assert {
    condition     = aws_lambda_function.this["writer"].tracing_config[0].mode == "PassThrough" && aws_cloudwatch_log_group.this["writer"].retention_in_days == 0
    error_message = "tracing_mode and log_retention_in_days must apply."
  }

  assert {
    condition     = aws_lambda_function.this["consumer"].environment[0].variables["POWERTOOLS_SERVICE_NAME"] == "products" && aws_lambda_function.this["consumer"].environment[0].variables["POWERTOOLS_METRICS_NAMESPACE"] == "Shop" && aws_lambda_function.this["consumer"].environment[0].variables["POWERTOOLS_LOG_LEVEL"] == "DEBUG"
    error_message = "Powertools settings must reach the environment."
  }

  assert {
    condition     = startswith(aws_lambda_function.this["writer"].filename, "/tmp/cdc-packages/writer-")
    error_message = "build_dir must hold the packages."
  }
}

run "layer_hash_follows_platform" {
  command = plan

  variables {
    architecture = "x86_64"
  }

  assert {
    condition = local.input_hashes.layer != sha256(jsonencode({
      builder      = local.builder_hash
      requirements = filesha256("${local.source_dir}/requirements.txt")
      runtime      = "python3.13"
      architecture = "arm64"
    }))
    error_message = "Another architecture must give the layer another input hash, hence a rebuild."
  }
}

run "consumer_seam" {
  command = plan

  variables {
    consumer_record_handler   = "custom_records:handle"
    consumer_extra_source_dir = "tests/fixtures/extra_consumer_source"
  }

  assert {
    condition     = aws_lambda_function.this["consumer"].environment[0].variables["RECORD_HANDLER"] == "custom_records:handle"
    error_message = "consumer_record_handler must become the consumer's RECORD_HANDLER."
  }

  assert {
    condition     = !contains(keys(aws_lambda_function.this["writer"].environment[0].variables), "RECORD_HANDLER")
    error_message = "RECORD_HANDLER belongs to the consumer only."
  }

  assert {
    condition     = contains(local.packaged.consumer_extra, "custom_records.py")
    error_message = "The extra source directory's files must be part of the consumer package."
  }

  assert {
    condition = local.input_hashes.consumer != sha256(jsonencode({
      builder = local.builder_hash
      files = merge(
        { for file in local.packaged.consumer : "consumer/${file}" => filesha256("${local.source_dir}/consumer/${file}") },
        local.shared_files,
      )
    }))
    error_message = "Extra source files must change the consumer's input hash."
  }

  assert {
    condition     = aws_lambda_function.this["consumer"].source_code_hash == local.input_hashes.consumer
    error_message = "The consumer must be updated when the extra source files change."
  }
}

run "destination_known_only_after_apply" {
  command = plan

  variables {
    create_on_failure_destination = false
    on_failure_destination_type   = "sqs"
    on_failure_destination_arn    = "arn:aws:sqs:us-east-1:123456789012:created-alongside"
  }

  assert {
    condition     = length(aws_sqs_queue.dead_letter) == 0
    error_message = "create_on_failure_destination = false must not create the queue."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.destination_config[0].on_failure[0].destination_arn == var.on_failure_destination_arn
    error_message = "The mapping must send failures to the given queue."
  }
}
