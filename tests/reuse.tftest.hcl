# Reuse in a stack that already has some of the pieces: no HTTP API (create_api), an existing table
# (existing_table_name) and the caller's own consumer (consumer_function_arn, consumer_role_name).

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name = "cdc-reuse"
}

run "defaults_create_every_piece" {
  command = plan

  assert {
    condition     = var.create_api && var.existing_table_name == null && var.consumer_function_arn == null && var.consumer_role_name == null
    error_message = "By default the module creates the API, the table and the consumer."
  }

  assert {
    condition     = length(aws_dynamodb_table.products) == 1 && length(data.aws_dynamodb_table.existing) == 0
    error_message = "By default the module creates its table and reads no existing one."
  }

  assert {
    condition     = length(aws_apigatewayv2_api.this) == 1 && length(aws_apigatewayv2_stage.default) == 1 && length(aws_lambda_permission.api) == 1 && length(aws_apigatewayv2_route.writer) == 6
    error_message = "By default the module creates the HTTP API."
  }

  assert {
    condition = (
      keys(aws_lambda_function.this) == ["consumer", "redrive", "writer"] && keys(aws_iam_role.this) == ["consumer", "redrive", "writer"] &&
      keys(aws_iam_role_policy.this) == ["consumer", "redrive", "writer"] && keys(aws_cloudwatch_log_group.this) == ["consumer", "redrive", "writer"] &&
      keys(terraform_data.package) == ["consumer", "layer", "redrive", "writer"] && length(aws_lambda_layer_version.dependencies) == 1
    )
    error_message = "By default the module creates both functions, their roles, policies, log groups and packages, and the layer."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.function_name == aws_lambda_function.this["consumer"].arn && aws_lambda_event_source_mapping.stream.event_source_arn == aws_dynamodb_table.products[0].stream_arn
    error_message = "By default the mapping invokes the module's consumer with the module's table's stream."
  }

  assert {
    condition     = output.consumer_role_name == "cdc-reuse-consumer" && output.consumer_policy_name == "cdc-reuse-consumer-access" && aws_iam_role_policy.this["consumer"].role == aws_iam_role.this["consumer"].id
    error_message = "The consumer policy must be on the module's consumer role."
  }
}

run "without_api" {
  command = plan

  variables {
    create_api = false
    # Would need an issuer if the API existed: no authorizer, so no error.
    authorization_type = "JWT"
  }

  assert {
    condition = (
      length(aws_apigatewayv2_api.this) == 0 && length(aws_apigatewayv2_authorizer.jwt) == 0 && length(aws_apigatewayv2_integration.writer) == 0 &&
      length(aws_apigatewayv2_route.writer) == 0 && length(aws_apigatewayv2_stage.default) == 0 &&
      length(aws_cloudwatch_log_group.api_access) == 0 && length(aws_lambda_permission.api) == 0
    )
    error_message = "create_api = false must create no part of the HTTP API."
  }

  assert {
    condition = (
      keys(aws_lambda_function.this) == ["consumer", "redrive"] && keys(aws_iam_role.this) == ["consumer", "redrive"] && keys(aws_iam_role_policy.this) == ["consumer", "redrive"] &&
      keys(aws_cloudwatch_log_group.this) == ["consumer", "redrive"] && keys(data.aws_iam_policy_document.this) == ["consumer", "redrive"] &&
      keys(terraform_data.package) == ["consumer", "layer", "redrive"]
    )
    error_message = "create_api = false must create no writer function, role, policy, log group or package."
  }

  assert {
    condition     = length(aws_dynamodb_table.idempotency) == 0 && length(aws_dynamodb_table.products) == 1 && length(aws_lambda_layer_version.dependencies) == 1
    error_message = "create_api = false must create no idempotency table, and still the products table and the consumer's layer."
  }

  assert {
    condition = (
      output.api_endpoint == null && output.api_id == null && output.api_execution_arn == null && output.api_access_log_group_name == null &&
      output.writer_function_name == null && output.writer_function_arn == null && output.writer_role_arn == null &&
      output.writer_log_group_name == null && output.idempotency_table_name == null && output.idempotency_table_arn == null
    )
    error_message = "Outputs of the API, the writer and the idempotency table must be null without them."
  }

  assert {
    condition     = output.consumer_function_name == "cdc-reuse-consumer" && output.table_name == "cdc-reuse-products"
    error_message = "The consumer side is unchanged without the API."
  }
}

run "existing_table" {
  command = plan

  variables {
    existing_table_name = "orders"
  }

  override_data {
    target = data.aws_dynamodb_table.existing[0]
    values = {
      arn              = "arn:aws:dynamodb:eu-west-1:210987654321:table/orders"
      stream_arn       = "arn:aws:dynamodb:eu-west-1:210987654321:table/orders/stream/2025-02-03T04:05:06.789"
      stream_enabled   = true
      stream_view_type = "NEW_AND_OLD_IMAGES"
      hash_key         = "PK"
      range_key        = "SK"
      attribute        = [{ name = "PK", type = "S" }, { name = "SK", type = "S" }]
    }
  }

  assert {
    condition     = length(aws_dynamodb_table.products) == 0 && data.aws_dynamodb_table.existing[0].name == "orders"
    error_message = "With existing_table_name the module must create no table and read the named one."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.event_source_arn == "arn:aws:dynamodb:eu-west-1:210987654321:table/orders/stream/2025-02-03T04:05:06.789"
    error_message = "The mapping must read the existing table's stream."
  }

  assert {
    condition = { for s in data.aws_iam_policy_document.this["consumer"].statement : s.sid => toset(s.resources) if startswith(s.sid, "ReadStream") || s.sid == "ListStreams" } == {
      ReadStream  = toset(["arn:aws:dynamodb:eu-west-1:210987654321:table/orders/stream/2025-02-03T04:05:06.789"])
      ListStreams = toset(["*"])
    }
    error_message = "The consumer's stream permissions must name the existing table's stream."
  }

  assert {
    condition     = one([for s in data.aws_iam_policy_document.this["writer"].statement : s.resources if s.sid == "ProductItems"]) == toset(["arn:aws:dynamodb:eu-west-1:210987654321:table/orders"])
    error_message = "The writer's item permissions must name the existing table."
  }

  assert {
    condition     = aws_lambda_function.this["writer"].environment[0].variables.TABLE_NAME == "orders"
    error_message = "The writer must write to the existing table."
  }

  assert {
    condition = (
      output.table_name == "orders" && output.table_arn == "arn:aws:dynamodb:eu-west-1:210987654321:table/orders" &&
      output.table_stream_arn == "arn:aws:dynamodb:eu-west-1:210987654321:table/orders/stream/2025-02-03T04:05:06.789"
    )
    error_message = "The table outputs must describe the existing table."
  }

  assert {
    # The EC2 ARNs of VPC placement take the partition, region and account from the table.
    condition     = local.ec2_arn_prefix == "arn:aws:ec2:eu-west-1:210987654321"
    error_message = "The module's ARNs must follow the existing table's region and account."
  }
}

run "existing_table_consumer_needs_less_than_both_images" {
  command = plan

  variables {
    existing_table_name = "orders"
    create_api          = false
    stream_view_type    = "NEW_IMAGE"
  }

  # Any key schema will do without the writer.
  override_data {
    target = data.aws_dynamodb_table.existing[0]
    values = {
      arn              = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
      stream_arn       = "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2025-06-01T00:00:00.000"
      stream_enabled   = true
      stream_view_type = "NEW_AND_OLD_IMAGES"
      hash_key         = "order_id"
      range_key        = null
      attribute        = [{ name = "order_id", type = "N" }]
    }
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.event_source_arn == data.aws_dynamodb_table.existing[0].stream_arn
    error_message = "A NEW_AND_OLD_IMAGES stream holds what a NEW_IMAGE consumer needs, on a table of any key schema without the writer."
  }
}

run "existing_table_keys_only_consumer" {
  command = plan

  variables {
    existing_table_name = "orders"
    stream_view_type    = "KEYS_ONLY"
  }

  override_data {
    target = data.aws_dynamodb_table.existing[0]
    values = {
      arn              = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
      stream_arn       = "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2025-06-01T00:00:00.000"
      stream_enabled   = true
      stream_view_type = "OLD_IMAGE"
      hash_key         = "PK"
      range_key        = "SK"
      attribute        = [{ name = "PK", type = "S" }, { name = "SK", type = "S" }]
    }
  }

  assert {
    condition     = length(aws_dynamodb_table.products) == 0
    error_message = "Any stream holds what a KEYS_ONLY consumer needs."
  }
}

run "rejects_existing_table_without_stream" {
  command = plan

  variables {
    existing_table_name = "orders"
    create_api          = false
  }

  override_data {
    target = data.aws_dynamodb_table.existing[0]
    values = {
      arn              = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
      stream_arn       = ""
      stream_enabled   = false
      stream_view_type = ""
      hash_key         = "PK"
      range_key        = "SK"
      attribute        = [{ name = "PK", type = "S" }, { name = "SK", type = "S" }]
    }
  }

  expect_failures = [data.aws_dynamodb_table.existing]
}

run "rejects_existing_table_stream_without_old_images" {
  command = plan

  variables {
    existing_table_name = "orders"
  }

  override_data {
    target = data.aws_dynamodb_table.existing[0]
    values = {
      arn              = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
      stream_arn       = "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2025-06-01T00:00:00.000"
      stream_enabled   = true
      stream_view_type = "NEW_IMAGE"
      hash_key         = "PK"
      range_key        = "SK"
      attribute        = [{ name = "PK", type = "S" }, { name = "SK", type = "S" }]
    }
  }

  expect_failures = [data.aws_dynamodb_table.existing]
}

run "rejects_existing_table_stream_without_new_images" {
  command = plan

  variables {
    existing_table_name = "orders"
    stream_view_type    = "NEW_IMAGE"
  }

  override_data {
    target = data.aws_dynamodb_table.existing[0]
    values = {
      arn              = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
      stream_arn       = "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2025-06-01T00:00:00.000"
      stream_enabled   = true
      stream_view_type = "OLD_IMAGE"
      hash_key         = "PK"
      range_key        = "SK"
      attribute        = [{ name = "PK", type = "S" }, { name = "SK", type = "S" }]
    }
  }

  expect_failures = [data.aws_dynamodb_table.existing]
}

run "rejects_existing_table_with_other_keys_for_the_writer" {
  command = plan

  variables {
    existing_table_name = "orders"
  }

  override_data {
    target = data.aws_dynamodb_table.existing[0]
    values = {
      arn              = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
      stream_arn       = "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2025-06-01T00:00:00.000"
      stream_enabled   = true
      stream_view_type = "NEW_AND_OLD_IMAGES"
      hash_key         = "order_id"
      range_key        = null
      attribute        = [{ name = "order_id", type = "S" }]
    }
  }

  expect_failures = [data.aws_dynamodb_table.existing]
}

run "rejects_existing_table_with_number_keys_for_the_writer" {
  command = plan

  variables {
    existing_table_name = "orders"
  }

  override_data {
    target = data.aws_dynamodb_table.existing[0]
    values = {
      arn              = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
      stream_arn       = "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2025-06-01T00:00:00.000"
      stream_enabled   = true
      stream_view_type = "NEW_AND_OLD_IMAGES"
      hash_key         = "PK"
      range_key        = "SK"
      attribute        = [{ name = "PK", type = "N" }, { name = "SK", type = "S" }]
    }
  }

  expect_failures = [data.aws_dynamodb_table.existing]
}

run "own_consumer" {
  command = plan

  variables {
    consumer_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:orders-consumer:live"
    consumer_role_name    = "orders-consumer-role"
  }

  assert {
    condition     = keys(aws_lambda_function.this) == ["redrive", "writer"] && keys(aws_iam_role.this) == ["redrive", "writer"] && keys(aws_cloudwatch_log_group.this) == ["redrive", "writer"] && keys(terraform_data.package) == ["layer", "redrive", "writer"]
    error_message = "With consumer_function_arn the module must create no consumer function, role, log group or package."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.function_name == "arn:aws:lambda:us-east-1:123456789012:function:orders-consumer:live"
    error_message = "The mapping must invoke the caller's function."
  }

  assert {
    condition     = aws_iam_role_policy.this["consumer"].role == "orders-consumer-role" && aws_iam_role_policy.this["consumer"].name == "cdc-reuse-consumer-access"
    error_message = "The stream and destination policy must be attached to the caller's role."
  }

  assert {
    condition = { for s in data.aws_iam_policy_document.this["consumer"].statement : s.sid => { actions = toset(s.actions), resources = toset(s.resources) } } == {
      ReadStream                 = { actions = toset(["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]), resources = toset([aws_dynamodb_table.products[0].stream_arn]) }
      ListStreams                = { actions = toset(["dynamodb:ListStreams"]), resources = toset(["*"]) }
      OnFailureDestination       = { actions = toset(["s3:PutObject"]), resources = toset(["${aws_s3_bucket.failures[0].arn}/*"]) }
      OnFailureDestinationBucket = { actions = toset(["s3:ListBucket"]), resources = toset([aws_s3_bucket.failures[0].arn]) }
    }
    error_message = "The caller's role gets the stream and destination statements only: its logs and traces are its own."
  }

  assert {
    condition     = output.consumer_function_arn == var.consumer_function_arn && output.consumer_function_name == null && output.consumer_role_arn == null && output.consumer_log_group_name == null && output.consumer_role_name == "orders-consumer-role"
    error_message = "The consumer outputs must describe the caller's function and role."
  }
}

run "own_consumer_with_key_and_vpc" {
  command = plan

  variables {
    consumer_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:orders-consumer"
    consumer_role_name    = "orders-consumer-role"
    kms_key_arn           = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    subnet_ids            = ["subnet-0123456789abcdef0"]
    security_group_ids    = ["sg-0123456789abcdef0"]
  }

  assert {
    condition     = contains([for s in data.aws_iam_policy_document.this["consumer"].statement : s.sid if s.resources == toset([var.kms_key_arn])], "CustomerManagedKey")
    error_message = "The caller's role must be allowed to decrypt the stream with the customer-managed key."
  }

  assert {
    condition     = length(data.aws_iam_policy_document.this["consumer"].source_policy_documents) == 0 && length(data.aws_iam_policy_document.this["writer"].source_policy_documents) == 1
    error_message = "Only the module's functions get the network interface statements of VPC placement."
  }
}

run "nothing_but_the_mapping" {
  command = plan

  variables {
    create_api            = false
    existing_table_name   = "orders"
    consumer_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:orders-consumer"
    consumer_role_name    = "orders-consumer-role"
    redrive_enabled       = false
  }

  assert {
    condition = (
      length(aws_lambda_function.this) == 0 && length(aws_iam_role.this) == 0 && length(aws_cloudwatch_log_group.this) == 0 &&
      length(terraform_data.package) == 0 && length(aws_lambda_layer_version.dependencies) == 0 &&
      length(aws_dynamodb_table.products) == 0 && length(aws_dynamodb_table.idempotency) == 0 && length(aws_apigatewayv2_api.this) == 0
    )
    error_message = "With the table, the consumer and no API given, the module must create no function, role, log group, package, layer or table."
  }

  assert {
    condition     = keys(aws_iam_role_policy.this) == ["consumer"] && aws_iam_role_policy.this["consumer"].role == "orders-consumer-role"
    error_message = "The only policy is the one on the caller's consumer role."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.event_source_arn == data.aws_dynamodb_table.existing[0].stream_arn && aws_lambda_event_source_mapping.stream.function_name == var.consumer_function_arn && length(aws_s3_bucket.failures) == 1
    error_message = "The mapping and its failure destination remain."
  }

  assert {
    condition     = output.layer_arn == null && output.writer_function_arn == null && output.api_endpoint == null
    error_message = "Outputs of what was not created must be null."
  }
}

run "rejects_consumer_function_without_role" {
  command = plan

  variables {
    consumer_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:orders-consumer"
  }

  expect_failures = [aws_iam_role_policy.this]
}

run "rejects_consumer_role_without_function" {
  command = plan

  variables {
    consumer_role_name = "orders-consumer-role"
  }

  expect_failures = [aws_iam_role_policy.this]
}

# Each run below gives several variables a value their validation must refuse, and lists every one of them:
# Terraform checks every variable and a run fails if a listed variable is accepted or an unlisted one is refused, so
# each validation is still proven on its own. A variable with several wrong values gets one in each run.
run "rejects_invalid_reuse_values_1" {
  command = plan

  variables {
    existing_table_name   = "ab"                                                  # too short
    consumer_function_arn = "orders-consumer"                                     # a name instead of an ARN
    consumer_role_name    = "arn:aws:iam::123456789012:role/orders-consumer-role" # an ARN instead of a name
  }

  expect_failures = [
    var.existing_table_name,
    var.consumer_function_arn,
    var.consumer_role_name,
  ]
}

run "rejects_invalid_reuse_values_2" {
  command = plan

  variables {
    existing_table_name   = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"          # arn
    consumer_function_arn = "arn:aws:lambda:us-east-1:123456789012:layer:orders-consumer:1" # of another resource
    # Valid values the variables above are refused beside.
    consumer_role_name = "orders-consumer-role"
  }

  expect_failures = [
    var.existing_table_name,
    var.consumer_function_arn,
  ]
}

