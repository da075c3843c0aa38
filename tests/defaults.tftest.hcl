# The module with only its required input: every safe default is asserted at plan time against a mocked provider.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name = "cdc-test"
  tags = { team = "data", cost-center = "42" }
}

run "defaults" {
  command = plan

  # table
  assert {
    condition     = aws_dynamodb_table.products[0].name == "cdc-test-products"
    error_message = "The table name must start with var.name."
  }

  assert {
    condition     = aws_dynamodb_table.products[0].hash_key == "PK" && aws_dynamodb_table.products[0].range_key == "SK"
    error_message = "The table keys must be PK (hash) and SK (range)."
  }

  assert {
    condition     = { for a in aws_dynamodb_table.products[0].attribute : a.name => a.type } == { PK = "S", SK = "S" }
    error_message = "PK and SK must be the only attributes, both strings."
  }

  assert {
    condition     = aws_dynamodb_table.products[0].billing_mode == "PAY_PER_REQUEST"
    error_message = "The table must bill on demand by default."
  }

  assert {
    condition     = aws_dynamodb_table.products[0].stream_enabled && aws_dynamodb_table.products[0].stream_view_type == "NEW_AND_OLD_IMAGES"
    error_message = "The stream must be on with NEW_AND_OLD_IMAGES by default."
  }

  assert {
    condition     = aws_dynamodb_table.products[0].point_in_time_recovery[0].enabled
    error_message = "Point-in-time recovery must be on by default."
  }

  assert {
    condition     = aws_dynamodb_table.products[0].server_side_encryption[0].enabled
    error_message = "Server-side encryption with a KMS key must be on by default."
  }

  assert {
    condition     = length(aws_dynamodb_table.products[0].ttl) == 0
    error_message = "TTL must be off unless ttl_attribute_name is set."
  }

  assert {
    condition     = aws_dynamodb_table.products[0].deletion_protection_enabled == false
    error_message = "Deletion protection must follow deletion_protection_enabled (default false)."
  }

  # idempotency table
  assert {
    condition     = length(aws_dynamodb_table.idempotency) == 1 && aws_dynamodb_table.idempotency[0].name == "cdc-test-idempotency"
    error_message = "The idempotency table must exist by default, named after var.name."
  }

  assert {
    condition     = aws_dynamodb_table.idempotency[0].hash_key == "id" && aws_dynamodb_table.idempotency[0].range_key == null
    error_message = "The idempotency table must be keyed by id alone (Powertools' layout)."
  }

  assert {
    condition     = aws_dynamodb_table.idempotency[0].ttl[0].attribute_name == "expiration" && aws_dynamodb_table.idempotency[0].ttl[0].enabled
    error_message = "The idempotency table must expire records through TTL on expiration."
  }

  assert {
    condition     = aws_dynamodb_table.idempotency[0].point_in_time_recovery[0].enabled && aws_dynamodb_table.idempotency[0].server_side_encryption[0].enabled
    error_message = "The idempotency table must have the products table's PITR and encryption."
  }

  # functions
  assert {
    condition     = aws_lambda_function.this["writer"].function_name == "cdc-test-writer" && aws_lambda_function.this["consumer"].function_name == "cdc-test-consumer"
    error_message = "Function names must start with var.name."
  }

  assert {
    condition     = aws_lambda_function.this["writer"].handler == "writer.handler.lambda_handler" && aws_lambda_function.this["consumer"].handler == "consumer.handler.lambda_handler"
    error_message = "Handlers must be the entry points of docs/architecture.md."
  }

  assert {
    condition     = alltrue([for f in aws_lambda_function.this : f.runtime == "python3.13" && f.architectures == tolist(["arm64"])])
    error_message = "Both functions must default to python3.13 on arm64."
  }

  assert {
    condition     = alltrue([for f in aws_lambda_function.this : f.tracing_config[0].mode == "Active"])
    error_message = "X-Ray tracing must be active on both functions."
  }

  assert {
    condition     = alltrue([for f in aws_lambda_function.this : f.layers == tolist([aws_lambda_layer_version.dependencies[0].arn])])
    error_message = "Both functions must use the dependency layer."
  }

  assert {
    condition     = aws_lambda_function.this["writer"].memory_size == 256 && aws_lambda_function.this["writer"].timeout == 10 && aws_lambda_function.this["writer"].reserved_concurrent_executions == null
    error_message = "Writer defaults: 256 MB, 10 s, unreserved concurrency."
  }

  assert {
    condition     = aws_lambda_function.this["consumer"].memory_size == 256 && aws_lambda_function.this["consumer"].timeout == 30 && aws_lambda_function.this["consumer"].reserved_concurrent_executions == null
    error_message = "Consumer defaults: 256 MB, 30 s, unreserved concurrency."
  }

  assert {
    condition = aws_lambda_function.this["writer"].environment[0].variables == tomap({
      TABLE_NAME                   = "cdc-test-products"
      IDEMPOTENCY_TABLE_NAME       = "cdc-test-idempotency"
      POWERTOOLS_SERVICE_NAME      = "cdc-test"
      POWERTOOLS_METRICS_NAMESPACE = "cdc-test"
      POWERTOOLS_LOG_LEVEL         = "INFO"
    })
    error_message = "The writer's environment must hold exactly the table names and Powertools settings."
  }

  assert {
    condition = aws_lambda_function.this["consumer"].environment[0].variables == tomap({
      POWERTOOLS_SERVICE_NAME      = "cdc-test"
      POWERTOOLS_METRICS_NAMESPACE = "cdc-test"
      POWERTOOLS_LOG_LEVEL         = "INFO"
    })
    error_message = "The consumer's environment must hold only Powertools settings (no RECORD_HANDLER by default)."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this["writer"].name == "/aws/lambda/cdc-test-writer" && aws_cloudwatch_log_group.this["consumer"].name == "/aws/lambda/cdc-test-consumer"
    error_message = "Each function must get its own log group under the name Lambda writes to."
  }

  assert {
    condition     = alltrue([for g in [aws_cloudwatch_log_group.this["writer"], aws_cloudwatch_log_group.this["consumer"], aws_cloudwatch_log_group.api_access[0]] : g.retention_in_days == 30 && g.kms_key_id == null])
    error_message = "Log groups must keep logs 30 days by default."
  }

  # packaging
  assert {
    condition     = aws_lambda_function.this["writer"].source_code_hash == local.input_hashes.writer && aws_lambda_function.this["consumer"].source_code_hash == local.input_hashes.consumer
    error_message = "Each function's source_code_hash must be the hash of its package inputs."
  }

  assert {
    condition     = aws_lambda_layer_version.dependencies[0].source_code_hash == local.input_hashes.layer
    error_message = "The layer's source_code_hash must be the hash of its inputs."
  }

  assert {
    condition = alltrue([
      aws_lambda_function.this["writer"].filename == "./.build/lambda/writer-${local.input_hashes.writer}.zip",
      aws_lambda_function.this["consumer"].filename == "./.build/lambda/consumer-${local.input_hashes.consumer}.zip",
      aws_lambda_layer_version.dependencies[0].filename == "./.build/lambda/layer-${local.input_hashes.layer}.zip",
    ])
    error_message = "Packages must be named after their input hash under .build/lambda of the root module."
  }

  assert {
    condition     = length(distinct(values(local.input_hashes))) == 4
    error_message = "The writer, consumer, redrive and layer packages must have distinct input hashes."
  }

  assert {
    condition     = aws_lambda_function.this["redrive"].source_code_hash == local.input_hashes.redrive && aws_lambda_function.this["redrive"].filename == "./.build/lambda/redrive-${local.input_hashes.redrive}.zip"
    error_message = "The redrive's package must be named after its input hash, like the other functions'."
  }

  assert {
    condition     = local.packages.redrive.spec.source == "./lambda_src/redrive" && local.packages.redrive.spec.prefix == "redrive" && local.packages.redrive.spec.packages == [local.shared_dir]
    error_message = "The redrive's package must hold lambda_src/redrive as package redrive, plus the shared package."
  }

  assert {
    condition     = alltrue([for f in concat(local.packaged.writer, local.packaged.consumer, local.packaged.shared) : !strcontains(f, "__pycache__") && !endswith(f, ".pyc")])
    error_message = "Byte code must not be part of the package inputs."
  }

  assert {
    condition = contains(keys(local.shared_files), "shared/exact_json.py") && alltrue([
      for name in ["writer", "consumer", "redrive"] :
      local.packages[name].spec.packages == [local.shared_dir] && alltrue([for file, hash in local.shared_files : lookup(local.code_files[name], file, null) == hash])
    ])
    error_message = "Both code packages must hold the shared package, and its files must be part of both input hashes."
  }

  assert {
    condition     = terraform_data.package["layer"].triggers_replace == local.input_hashes.layer
    error_message = "The layer build must rerun exactly when its input hash changes."
  }

  assert {
    condition     = aws_lambda_layer_version.dependencies[0].compatible_runtimes == toset(["python3.13"]) && aws_lambda_layer_version.dependencies[0].compatible_architectures == toset(["arm64"])
    error_message = "The layer must declare the functions' runtime and architecture."
  }

  # event source mapping
  assert {
    condition     = aws_lambda_event_source_mapping.stream.event_source_arn == aws_dynamodb_table.products[0].stream_arn
    error_message = "The mapping must read the products table's stream."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.function_name == aws_lambda_function.this["consumer"].arn
    error_message = "The mapping must invoke the consumer."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.enabled
    error_message = "The mapping must be enabled by default."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.batch_size == 100
    error_message = "batch_size must default to 100."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.maximum_batching_window_in_seconds == 0
    error_message = "maximum_batching_window_in_seconds must default to 0."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.starting_position == "TRIM_HORIZON"
    error_message = "starting_position must default to TRIM_HORIZON, so changes made before the mapping existed are read."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.maximum_retry_attempts == 3
    error_message = "Retries must be bounded (3) by default, not AWS's infinite -1."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.maximum_record_age_in_seconds == 86400
    error_message = "Record age must be bounded to the stream's 24 h retention by default."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.bisect_batch_on_function_error
    error_message = "Bisect on function error must be on by default."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.parallelization_factor == 1
    error_message = "parallelization_factor must default to 1."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.tumbling_window_in_seconds == 0
    error_message = "Tumbling windows must be off by default."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "Partial batch responses must be on by default."
  }

  assert {
    condition     = length(aws_lambda_event_source_mapping.stream.filter_criteria) == 0
    error_message = "No filter criteria by default: every record reaches the consumer."
  }

  # on failure destination
  assert {
    condition     = output.on_failure_destination_type == "s3" && length(aws_s3_bucket.failures) == 1 && length(aws_sqs_queue.dead_letter) == 0 && length(aws_sns_topic.failures) == 0 && length(aws_sqs_queue.failure_pointers) == 0
    error_message = "By default the module must create the failure bucket, and no queue or topic."
  }

  assert {
    condition     = aws_s3_bucket.failures[0].bucket_prefix == "cdc-test-failures-"
    error_message = "The bucket's name must be derived from var.name with a unique suffix by default."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.destination_config[0].on_failure[0].destination_arn == aws_s3_bucket.failures[0].arn
    error_message = "The mapping's on-failure destination must be the module's bucket."
  }

  assert {
    condition     = output.on_failure_destination_arn == aws_s3_bucket.failures[0].arn && output.failure_bucket_name == aws_s3_bucket.failures[0].bucket && output.dead_letter_queue_url == null && output.failure_queue_url == null
    error_message = "Outputs must expose the bucket; there is no queue by default."
  }

  # http api
  assert {
    condition     = aws_apigatewayv2_api.this[0].name == "cdc-test" && aws_apigatewayv2_api.this[0].protocol_type == "HTTP"
    error_message = "The API must be an HTTP API named var.name."
  }

  assert {
    condition     = length(aws_apigatewayv2_api.this[0].cors_configuration) == 0
    error_message = "CORS must be off by default."
  }

  assert {
    condition     = toset(keys(aws_apigatewayv2_route.writer)) == toset(["POST /products", "GET /products/{id}", "PUT /products/{id}", "DELETE /products/{id}", "ANY /products", "ANY /products/{id}"])
    error_message = "The API must have exactly the four product routes and an ANY route per path (for 405)."
  }

  assert {
    condition     = alltrue([for r in aws_apigatewayv2_route.writer : r.authorization_type == "AWS_IAM" && r.authorizer_id == null])
    error_message = "Every route must require AWS_IAM authorization by default."
  }

  assert {
    condition     = alltrue([for r in aws_apigatewayv2_route.writer : r.target == "integrations/${aws_apigatewayv2_integration.writer[0].id}"])
    error_message = "Every route must go to the writer integration."
  }

  assert {
    condition     = length(aws_apigatewayv2_authorizer.jwt) == 0
    error_message = "No JWT authorizer unless authorization_type is JWT."
  }

  assert {
    condition     = aws_apigatewayv2_integration.writer[0].integration_type == "AWS_PROXY" && aws_apigatewayv2_integration.writer[0].payload_format_version == "2.0"
    error_message = "The integration must be a Lambda proxy with payload format 2.0."
  }

  assert {
    condition     = aws_apigatewayv2_integration.writer[0].integration_uri == aws_lambda_function.this["writer"].invoke_arn
    error_message = "The integration must invoke the writer."
  }

  assert {
    condition     = aws_apigatewayv2_stage.default[0].name == "$default" && aws_apigatewayv2_stage.default[0].auto_deploy
    error_message = "The API must have an auto-deployed $default stage."
  }

  assert {
    condition     = aws_apigatewayv2_stage.default[0].default_route_settings[0].throttling_burst_limit == 50 && aws_apigatewayv2_stage.default[0].default_route_settings[0].throttling_rate_limit == 100
    error_message = "Default route throttling must be burst 50, rate 100."
  }

  assert {
    condition     = aws_apigatewayv2_stage.default[0].access_log_settings[0].destination_arn == aws_cloudwatch_log_group.api_access[0].arn
    error_message = "Access logs must go to the module's log group."
  }

  assert {
    condition     = can(jsondecode(aws_apigatewayv2_stage.default[0].access_log_settings[0].format).requestId)
    error_message = "The access log format must be JSON with the request ID."
  }

  assert {
    condition     = aws_lambda_permission.api[0].principal == "apigateway.amazonaws.com" && aws_lambda_permission.api[0].source_arn == "${aws_apigatewayv2_api.this[0].execution_arn}/*/*"
    error_message = "Only this API may invoke the writer."
  }

  assert {
    condition     = aws_lambda_permission.api[0].function_name == aws_lambda_function.this["writer"].function_name
    error_message = "The invoke permission must be on the writer."
  }

  # iam
  assert {
    condition     = aws_iam_role.this["writer"].name == "cdc-test-writer" && aws_iam_role.this["consumer"].name == "cdc-test-consumer"
    error_message = "Each function must have its own role named after it."
  }

  assert {
    condition     = aws_lambda_function.this["writer"].role == aws_iam_role.this["writer"].arn && aws_lambda_function.this["consumer"].role == aws_iam_role.this["consumer"].arn
    error_message = "Each function must run with its own role."
  }

  assert {
    condition = { for s in data.aws_iam_policy_document.this["writer"].statement : s.sid => { actions = toset(s.actions), resources = toset(s.resources) } } == {
      ProductItems       = { actions = toset(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]), resources = toset([aws_dynamodb_table.products[0].arn]) }
      IdempotencyRecords = { actions = toset(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]), resources = toset([aws_dynamodb_table.idempotency[0].arn]) }
      OwnLogGroup        = { actions = toset(["logs:CreateLogStream", "logs:PutLogEvents"]), resources = toset(["${aws_cloudwatch_log_group.this["writer"].arn}:*"]) }
      Tracing            = { actions = toset(["xray:PutTraceSegments", "xray:PutTelemetryRecords"]), resources = toset(["*"]) }
    }
    error_message = "The writer may only use its item actions on its tables, its own log group and X-Ray."
  }

  assert {
    condition = { for s in data.aws_iam_policy_document.this["consumer"].statement : s.sid => { actions = toset(s.actions), resources = toset(s.resources) } } == {
      ReadStream                 = { actions = toset(["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]), resources = toset([aws_dynamodb_table.products[0].stream_arn]) }
      ListStreams                = { actions = toset(["dynamodb:ListStreams"]), resources = toset(["*"]) }
      OnFailureDestination       = { actions = toset(["s3:PutObject"]), resources = toset(["${aws_s3_bucket.failures[0].arn}/*"]) }
      OnFailureDestinationBucket = { actions = toset(["s3:ListBucket"]), resources = toset([aws_s3_bucket.failures[0].arn]) }
      OwnLogGroup                = { actions = toset(["logs:CreateLogStream", "logs:PutLogEvents"]), resources = toset(["${aws_cloudwatch_log_group.this["consumer"].arn}:*"]) }
      Tracing                    = { actions = toset(["xray:PutTraceSegments", "xray:PutTelemetryRecords"]), resources = toset(["*"]) }
    }
    error_message = "The consumer may only read this stream, send to its destination, log to its own group and trace."
  }

  assert {
    condition = alltrue([
      for s in concat(data.aws_iam_policy_document.this["writer"].statement, data.aws_iam_policy_document.this["consumer"].statement, data.aws_iam_policy_document.this["redrive"].statement) :
      alltrue([for a in s.actions : !strcontains(a, "*")]) && (contains(["Tracing", "ListStreams"], s.sid) || !contains(s.resources, "*"))
    ])
    error_message = "No wildcard action anywhere, and a \"*\" resource only for X-Ray and ListStreams (no resource-level permissions)."
  }

  assert {
    condition     = aws_iam_role_policy.this["writer"].role == aws_iam_role.this["writer"].id && aws_iam_role_policy.this["consumer"].role == aws_iam_role.this["consumer"].id
    error_message = "Each policy must be attached to its function's role."
  }

  # tags
  assert {
    condition = alltrue([
      for tags in [
        aws_dynamodb_table.products[0].tags,
        aws_dynamodb_table.idempotency[0].tags,
        aws_lambda_function.this["writer"].tags,
        aws_lambda_function.this["consumer"].tags,
        aws_cloudwatch_log_group.this["writer"].tags,
        aws_cloudwatch_log_group.this["consumer"].tags,
        aws_cloudwatch_log_group.api_access[0].tags,
        aws_iam_role.this["writer"].tags,
        aws_iam_role.this["consumer"].tags,
        aws_s3_bucket.failures[0].tags,
        aws_lambda_function.this["redrive"].tags,
        aws_cloudwatch_log_group.this["redrive"].tags,
        aws_iam_role.this["redrive"].tags,
        aws_cloudwatch_metric_alarm.this["consumer_errors"].tags,
        aws_lambda_event_source_mapping.stream.tags,
        aws_apigatewayv2_api.this[0].tags,
        aws_apigatewayv2_stage.default[0].tags,
      ] : tags == tomap({ team = "data", cost-center = "42" })
    ])
    error_message = "var.tags must be on every taggable resource."
  }

  # outputs
  assert {
    condition     = output.api_endpoint == aws_apigatewayv2_api.this[0].api_endpoint && output.api_id == aws_apigatewayv2_api.this[0].id
    error_message = "The API outputs must come from the API."
  }

  assert {
    condition     = output.table_name == "cdc-test-products" && output.table_stream_arn == aws_dynamodb_table.products[0].stream_arn
    error_message = "The table outputs must come from the table."
  }

  assert {
    condition     = output.idempotency_table_name == "cdc-test-idempotency"
    error_message = "The idempotency table name must be an output."
  }

  assert {
    condition     = output.writer_role_arn == aws_iam_role.this["writer"].arn && output.consumer_role_arn == aws_iam_role.this["consumer"].arn
    error_message = "The role outputs must come from the roles."
  }
}

