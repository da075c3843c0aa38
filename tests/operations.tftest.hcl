# Failed batches and how an operator sees and replays them: the on-failure destination of each type, the redrive
# function and the alarms, asserted at plan time against a mocked provider.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name = "cdc-test"
}

# ---------------------------------------------------------------------------------------------------------------------
# S3 destination (the default)
# ---------------------------------------------------------------------------------------------------------------------

run "failure_bucket_defaults" {
  command = plan

  # failure bucket is private encrypted and versioned
  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.failures[0].block_public_acls,
      aws_s3_bucket_public_access_block.failures[0].block_public_policy,
      aws_s3_bucket_public_access_block.failures[0].ignore_public_acls,
      aws_s3_bucket_public_access_block.failures[0].restrict_public_buckets,
    ])
    error_message = "All four public access blocks must be on."
  }

  assert {
    condition     = aws_s3_bucket_ownership_controls.failures[0].rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be off (BucketOwnerEnforced)."
  }

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.failures[0].rule).apply_server_side_encryption_by_default[0].sse_algorithm == "AES256" && one(aws_s3_bucket_server_side_encryption_configuration.failures[0].rule).apply_server_side_encryption_by_default[0].kms_master_key_id == null
    error_message = "Without kms_key_arn the bucket must use SSE-S3."
  }

  assert {
    condition     = aws_s3_bucket_versioning.failures[0].versioning_configuration[0].status == "Enabled"
    error_message = "Versioning must be on, so a wrong delete of a failed batch can be undone."
  }

  assert {
    condition     = length(aws_s3_bucket_logging.failures) == 0
    error_message = "Access logging must be off unless failure_bucket_access_log is set."
  }

  assert {
    condition = one(data.aws_iam_policy_document.failure_bucket[0].statement).effect == "Deny" && one(data.aws_iam_policy_document.failure_bucket[0].statement).actions == toset(["s3:*"]) && one(data.aws_iam_policy_document.failure_bucket[0].statement).resources == toset([aws_s3_bucket.failures[0].arn, "${aws_s3_bucket.failures[0].arn}/*"]) && one(one(data.aws_iam_policy_document.failure_bucket[0].statement).condition) == {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = tolist(["false"])
    }
    error_message = "The bucket policy must deny every request made without TLS, on the bucket and its objects."
  }

  assert {
    condition     = aws_s3_bucket_policy.failures[0].bucket == aws_s3_bucket.failures[0].id
    error_message = "The TLS-only policy must be attached to the failure bucket."
  }

  # failure bucket lifecycle
  assert {
    # Only what the module sets: the mock fills attributes left unset (such as the catch-all rule's prefix) at random.
    condition = alltrue([
      [for rule in aws_s3_bucket_lifecycle_configuration.failures[0].rule : rule.id] == ["expire-failed-batches", "expire-redriven-batches", "clean-up"],
      alltrue([for rule in aws_s3_bucket_lifecycle_configuration.failures[0].rule : rule.status == "Enabled"]),
      [for rule in aws_s3_bucket_lifecycle_configuration.failures[0].rule : rule.filter[0].prefix if rule.id != "clean-up"] == ["aws/lambda/", "redriven/"],
      [for rule in aws_s3_bucket_lifecycle_configuration.failures[0].rule : rule.expiration[0].days if rule.id != "clean-up"] == [90, 30],
      [for rule in aws_s3_bucket_lifecycle_configuration.failures[0].rule : length(rule.noncurrent_version_expiration) + length(rule.abort_incomplete_multipart_upload) if rule.id != "clean-up"] == [0, 0],
      [for rule in aws_s3_bucket_lifecycle_configuration.failures[0].rule : [rule.noncurrent_version_expiration[0].noncurrent_days, rule.abort_incomplete_multipart_upload[0].days_after_initiation] if rule.id == "clean-up"] == [[30, 1]],
    ])
    error_message = "Failed batches must expire after 90 days, replayed ones after 30, noncurrent versions after 30, and incomplete uploads after 1 day."
  }

  assert {
    condition     = [for rule in aws_s3_bucket_lifecycle_configuration.failures[0].rule : rule.expiration[0].expired_object_delete_marker if rule.id == "clean-up"] == [true]
    error_message = "Delete markers left alone by expired versions must be removed."
  }

  # failure bucket kept unless forced
  assert {
    condition     = aws_s3_bucket.failures[0].force_destroy == false
    error_message = "By default Terraform must refuse to delete a failure bucket that still holds failed batches."
  }

  # s3 destination iam
  assert {
    condition = { for s in data.aws_iam_policy_document.this["consumer"].statement : s.sid => { actions = toset(s.actions), resources = toset(s.resources) } if startswith(s.sid, "OnFailure") } == {
      OnFailureDestination       = { actions = toset(["s3:PutObject"]), resources = toset(["${aws_s3_bucket.failures[0].arn}/*"]) }
      OnFailureDestinationBucket = { actions = toset(["s3:ListBucket"]), resources = toset([aws_s3_bucket.failures[0].arn]) }
    }
    error_message = "The consumer may only put objects into (and list) exactly the failure bucket."
  }

  assert {
    condition = { for s in data.aws_iam_policy_document.this["redrive"].statement : s.sid => { actions = toset(s.actions), resources = toset(s.resources) } } == {
      FailedBatchObjects    = { actions = toset(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]), resources = toset(["${aws_s3_bucket.failures[0].arn}/*"]) }
      FailedBatchBucket     = { actions = toset(["s3:ListBucket"]), resources = toset([aws_s3_bucket.failures[0].arn]) }
      ReplayThroughConsumer = { actions = toset(["lambda:InvokeFunction"]), resources = toset(["arn:aws:lambda:us-east-1:123456789012:function:cdc-test-consumer"]) }
      OwnLogGroup           = { actions = toset(["logs:CreateLogStream", "logs:PutLogEvents"]), resources = toset(["${aws_cloudwatch_log_group.this["redrive"].arn}:*"]) }
      Tracing               = { actions = toset(["xray:PutTraceSegments", "xray:PutTelemetryRecords"]), resources = toset(["*"]) }
    }
    error_message = "With S3 the redrive may only read, move and delete failed batches of the bucket and invoke the consumer; it needs no stream access."
  }
}

run "failure_bucket_retention_and_logging" {
  command = plan

  variables {
    failed_batch_retention_days   = 14
    redriven_batch_retention_days = 3
    failure_bucket_access_log     = { bucket = "central-access-logs", prefix = "cdc-failures/" }
  }

  assert {
    condition     = { for rule in aws_s3_bucket_lifecycle_configuration.failures[0].rule : rule.id => try(rule.expiration[0].days, null) if rule.id != "clean-up" } == { "expire-failed-batches" = 14, "expire-redriven-batches" = 3 }
    error_message = "The retention variables must set the lifecycle expirations."
  }

  assert {
    condition     = aws_s3_bucket_logging.failures[0].target_bucket == "central-access-logs" && aws_s3_bucket_logging.failures[0].target_prefix == "cdc-failures/"
    error_message = "failure_bucket_access_log must turn on server access logging to the given bucket and prefix."
  }
}

run "failure_bucket_name_override" {
  command = plan

  variables {
    failure_bucket_name = "catalog-cdc-failures-prod"
  }

  assert {
    condition     = aws_s3_bucket.failures[0].bucket == "catalog-cdc-failures-prod"
    error_message = "failure_bucket_name must name the bucket exactly, without a generated suffix."
  }
}

run "failure_bucket_force_destroy" {
  command = plan

  variables {
    failure_bucket_force_destroy = true
  }

  assert {
    condition     = aws_s3_bucket.failures[0].force_destroy
    error_message = "failure_bucket_force_destroy must let Terraform delete the bucket with its objects."
  }
}

run "s3_destination_with_key" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/0b3f6e9c-1d2e-4f5a-8b7c-9d0e1f2a3b4c"
  }

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.failures[0].rule).apply_server_side_encryption_by_default[0].kms_master_key_id == var.kms_key_arn && one(aws_s3_bucket_server_side_encryption_configuration.failures[0].rule).bucket_key_enabled
    error_message = "With kms_key_arn the bucket must use SSE-KMS with that key and a bucket key."
  }

  assert {
    condition = alltrue([for name in ["consumer", "redrive"] :
      one([for s in data.aws_iam_policy_document.this[name].statement : s if s.sid == "CustomerManagedKey"]).actions == toset(["kms:Decrypt", "kms:GenerateDataKey"]) &&
      one([for s in data.aws_iam_policy_document.this[name].statement : s if s.sid == "CustomerManagedKey"]).resources == toset([var.kms_key_arn])
    ])
    error_message = "The consumer (writing failed batches) and the redrive (reading them) must be able to use exactly the given key."
  }
}

run "s3_bucket_passed_in" {
  command = plan

  variables {
    on_failure_destination_arn = "arn:aws:s3:::caller-failed-batches"
  }

  assert {
    condition     = length(aws_s3_bucket.failures) == 0 && length(aws_s3_bucket_policy.failures) == 0 && length(aws_s3_bucket_lifecycle_configuration.failures) == 0
    error_message = "A given bucket replaces the module's bucket and its settings."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.destination_config[0].on_failure[0].destination_arn == var.on_failure_destination_arn && output.failure_bucket_name == "caller-failed-batches"
    error_message = "The mapping must send failed batches to the given bucket, and its name must be an output."
  }

  assert {
    condition     = one([for s in data.aws_iam_policy_document.this["consumer"].statement : s if s.sid == "OnFailureDestination"]).resources == toset(["arn:aws:s3:::caller-failed-batches/*"])
    error_message = "The consumer may write to exactly the given bucket."
  }

  assert {
    condition     = aws_lambda_function.this["redrive"].environment[0].variables["DESTINATION_ARN"] == var.on_failure_destination_arn
    error_message = "The redrive must read the given bucket."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# SQS and SNS destinations
# ---------------------------------------------------------------------------------------------------------------------

run "sqs_destination_created" {
  command = plan

  variables {
    on_failure_destination_type = "sqs"
  }

  assert {
    condition     = length(aws_sqs_queue.dead_letter) == 1 && aws_sqs_queue.dead_letter[0].name == "cdc-test-consumer-failures" && length(aws_s3_bucket.failures) == 0 && length(aws_sns_topic.failures) == 0 && length(aws_sqs_queue.failure_pointers) == 0
    error_message = "Type sqs must create the queue only."
  }

  assert {
    condition     = aws_sqs_queue.dead_letter[0].sqs_managed_sse_enabled == true && aws_sqs_queue.dead_letter[0].message_retention_seconds == 1209600
    error_message = "The queue must be encrypted and keep pointers 14 days."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.destination_config[0].on_failure[0].destination_arn == aws_sqs_queue.dead_letter[0].arn && output.dead_letter_queue_url == aws_sqs_queue.dead_letter[0].url && output.failure_queue_url == aws_sqs_queue.dead_letter[0].url
    error_message = "The mapping must send to the module's queue, whose URL the outputs expose."
  }

  assert {
    condition     = { for s in data.aws_iam_policy_document.this["consumer"].statement : s.sid => { actions = toset(s.actions), resources = toset(s.resources) } if startswith(s.sid, "OnFailure") } == { OnFailureDestination = { actions = toset(["sqs:SendMessage"]), resources = toset([aws_sqs_queue.dead_letter[0].arn]) } }
    error_message = "The consumer may only send to exactly the queue."
  }

  assert {
    condition = { for s in data.aws_iam_policy_document.this["redrive"].statement : s.sid => { actions = toset(s.actions), resources = toset(s.resources) } if !contains(["OwnLogGroup", "Tracing"], s.sid) } == {
      FailedBatchPointers   = { actions = toset(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]), resources = toset([aws_sqs_queue.dead_letter[0].arn]) }
      ReadStream            = { actions = toset(["dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords"]), resources = toset([aws_dynamodb_table.products[0].stream_arn]) }
      ReplayThroughConsumer = { actions = toset(["lambda:InvokeFunction"]), resources = toset(["arn:aws:lambda:us-east-1:123456789012:function:cdc-test-consumer"]) }
    }
    error_message = "With SQS the redrive may only consume the queue, read the stream again and invoke the consumer."
  }

  assert {
    condition = aws_lambda_function.this["redrive"].environment[0].variables == tomap({
      CONSUMER_FUNCTION            = "arn:aws:lambda:us-east-1:123456789012:function:cdc-test-consumer"
      DESTINATION_TYPE             = "sqs"
      DESTINATION_ARN              = aws_sqs_queue.dead_letter[0].arn
      FAILURE_QUEUE_URL            = aws_sqs_queue.dead_letter[0].url
      POWERTOOLS_SERVICE_NAME      = "cdc-test"
      POWERTOOLS_METRICS_NAMESPACE = "cdc-test"
      POWERTOOLS_LOG_LEVEL         = "INFO"
    })
    error_message = "The redrive's environment must name the consumer, the destination and the queue to read."
  }
}

run "sns_destination_created" {
  command = plan

  variables {
    on_failure_destination_type = "sns"
  }

  assert {
    condition     = length(aws_sns_topic.failures) == 1 && aws_sns_topic.failures[0].name == "cdc-test-consumer-failures" && aws_sns_topic.failures[0].kms_master_key_id == "alias/aws/sns" && length(aws_s3_bucket.failures) == 0 && length(aws_sqs_queue.dead_letter) == 0
    error_message = "Type sns must create an encrypted topic only (plus the pointer queue)."
  }

  assert {
    condition     = aws_sqs_queue.failure_pointers[0].name == "cdc-test-consumer-failure-pointers" && aws_sqs_queue.failure_pointers[0].sqs_managed_sse_enabled == true
    error_message = "Type sns must create an encrypted queue for the redrive."
  }

  assert {
    condition     = aws_sns_topic_subscription.failure_pointers[0].topic_arn == aws_sns_topic.failures[0].arn && aws_sns_topic_subscription.failure_pointers[0].protocol == "sqs" && aws_sns_topic_subscription.failure_pointers[0].endpoint == aws_sqs_queue.failure_pointers[0].arn && aws_sns_topic_subscription.failure_pointers[0].raw_message_delivery
    error_message = "The pointer queue must be subscribed to the topic with raw message delivery."
  }

  assert {
    condition = one(data.aws_iam_policy_document.failure_pointers[0].statement).actions == toset(["sqs:SendMessage"]) && one(data.aws_iam_policy_document.failure_pointers[0].statement).principals == toset([{ type = "Service", identifiers = toset(["sns.amazonaws.com"]) }]) && one(one(data.aws_iam_policy_document.failure_pointers[0].statement).condition) == {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = tolist([aws_sns_topic.failures[0].arn])
    }
    error_message = "Only the failure topic may send to the pointer queue."
  }

  assert {
    condition     = aws_sqs_queue_policy.failure_pointers[0].queue_url == aws_sqs_queue.failure_pointers[0].id
    error_message = "The policy must be attached to the pointer queue."
  }

  assert {
    condition     = { for s in data.aws_iam_policy_document.this["consumer"].statement : s.sid => { actions = toset(s.actions), resources = toset(s.resources) } if startswith(s.sid, "OnFailure") } == { OnFailureDestination = { actions = toset(["sns:Publish"]), resources = toset([aws_sns_topic.failures[0].arn]) } }
    error_message = "The consumer may only publish to exactly the topic."
  }

  assert {
    condition     = one([for s in data.aws_iam_policy_document.this["redrive"].statement : s if s.sid == "FailedBatchPointers"]).resources == toset([aws_sqs_queue.failure_pointers[0].arn])
    error_message = "The redrive must consume exactly the pointer queue."
  }

  assert {
    condition     = aws_lambda_function.this["redrive"].environment[0].variables["DESTINATION_TYPE"] == "sns" && aws_lambda_function.this["redrive"].environment[0].variables["DESTINATION_ARN"] == aws_sns_topic.failures[0].arn && aws_lambda_function.this["redrive"].environment[0].variables["FAILURE_QUEUE_URL"] == aws_sqs_queue.failure_pointers[0].url
    error_message = "The redrive must know the topic and read the pointer queue."
  }

  assert {
    condition     = output.on_failure_destination_type == "sns" && output.on_failure_destination_arn == aws_sns_topic.failures[0].arn && output.failure_queue_url == aws_sqs_queue.failure_pointers[0].url && output.failure_bucket_name == null && output.dead_letter_queue_url == null
    error_message = "Outputs must expose the topic and the pointer queue."
  }
}

run "sns_destination_with_key" {
  command = plan

  variables {
    on_failure_destination_type = "sns"
    kms_key_arn                 = "arn:aws:kms:us-east-1:123456789012:key/0b3f6e9c-1d2e-4f5a-8b7c-9d0e1f2a3b4c"
  }

  assert {
    condition     = aws_sns_topic.failures[0].kms_master_key_id == var.kms_key_arn && aws_sqs_queue.failure_pointers[0].kms_master_key_id == var.kms_key_arn && aws_sqs_queue.failure_pointers[0].sqs_managed_sse_enabled != true
    error_message = "Topic and pointer queue must be encrypted with the given key."
  }
}

run "rejects_destination_of_another_type" {
  command = plan

  variables {
    on_failure_destination_type = "sqs"
    on_failure_destination_arn  = "arn:aws:s3:::caller-failed-batches"
  }

  expect_failures = [aws_lambda_event_source_mapping.stream]
}

run "rejects_topic_for_default_type" {
  command = plan

  variables {
    on_failure_destination_arn = "arn:aws:sns:us-east-1:123456789012:cdc-failures"
  }

  expect_failures = [aws_lambda_event_source_mapping.stream]
}

# ---------------------------------------------------------------------------------------------------------------------
# Redrive
# ---------------------------------------------------------------------------------------------------------------------

run "redrive_defaults" {
  command = plan

  assert {
    condition     = aws_lambda_function.this["redrive"].function_name == "cdc-test-redrive" && aws_lambda_function.this["redrive"].handler == "redrive.handler.lambda_handler" && aws_lambda_function.this["redrive"].timeout == 300 && aws_lambda_function.this["redrive"].memory_size == 256
    error_message = "The redrive must be <name>-redrive, handler redrive.handler.lambda_handler, 300 s and 256 MB by default."
  }

  assert {
    condition     = aws_lambda_function.this["redrive"].role == aws_iam_role.this["redrive"].arn && aws_iam_role.this["redrive"].name == "cdc-test-redrive" && aws_cloudwatch_log_group.this["redrive"].name == "/aws/lambda/cdc-test-redrive" && aws_iam_role_policy.this["redrive"].role == aws_iam_role.this["redrive"].id
    error_message = "The redrive must have its own role, policy and log group."
  }

  assert {
    condition = aws_lambda_function.this["redrive"].environment[0].variables == tomap({
      CONSUMER_FUNCTION            = "arn:aws:lambda:us-east-1:123456789012:function:cdc-test-consumer"
      DESTINATION_TYPE             = "s3"
      DESTINATION_ARN              = aws_s3_bucket.failures[0].arn
      POWERTOOLS_SERVICE_NAME      = "cdc-test"
      POWERTOOLS_METRICS_NAMESPACE = "cdc-test"
      POWERTOOLS_LOG_LEVEL         = "INFO"
    })
    error_message = "With S3 the redrive's environment names the consumer and the bucket, and no queue."
  }

  assert {
    condition     = aws_lambda_function.this["redrive"].layers == tolist([aws_lambda_layer_version.dependencies[0].arn]) && terraform_data.package["redrive"].triggers_replace == local.input_hashes.redrive
    error_message = "The redrive must use the dependency layer and be built like the other functions."
  }

  assert {
    condition     = output.redrive_function_name == "cdc-test-redrive" && output.redrive_function_arn == aws_lambda_function.this["redrive"].arn
    error_message = "The redrive's name and ARN must be outputs."
  }
}

run "redrive_timeout" {
  command = plan

  variables {
    redrive_timeout = 900
  }

  assert {
    condition     = aws_lambda_function.this["redrive"].timeout == 900
    error_message = "redrive_timeout must set the redrive's timeout."
  }
}

run "redrive_disabled" {
  command = plan

  variables {
    redrive_enabled = false
  }

  assert {
    condition     = keys(aws_lambda_function.this) == ["consumer", "writer"] && keys(aws_iam_role.this) == ["consumer", "writer"] && keys(aws_cloudwatch_log_group.this) == ["consumer", "writer"] && !contains(keys(terraform_data.package), "redrive")
    error_message = "redrive_enabled = false must deploy no redrive function, role, log group or package."
  }

  assert {
    condition     = output.redrive_function_name == null && output.redrive_function_arn == null
    error_message = "The redrive outputs must be null without the redrive."
  }

  assert {
    condition     = length(aws_s3_bucket.failures) == 1
    error_message = "The failure bucket must not depend on the redrive."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# Alarms
# ---------------------------------------------------------------------------------------------------------------------

run "alarms_defaults" {
  command = plan

  assert {
    condition = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => {
      name       = alarm.alarm_name
      namespace  = alarm.namespace
      metric     = alarm.metric_name
      dimensions = alarm.dimensions
      statistic  = alarm.statistic
      threshold  = alarm.threshold
      } if length(alarm.metric_query) == 0 } == {
      consumer_iterator_age         = { name = "cdc-test-consumer-iterator-age", namespace = "AWS/Lambda", metric = "IteratorAge", dimensions = tomap({ FunctionName = "cdc-test-consumer" }), statistic = "Maximum", threshold = 300000 }
      consumer_errors               = { name = "cdc-test-consumer-errors", namespace = "AWS/Lambda", metric = "Errors", dimensions = tomap({ FunctionName = "cdc-test-consumer" }), statistic = "Sum", threshold = 1 }
      consumer_throttles            = { name = "cdc-test-consumer-throttles", namespace = "AWS/Lambda", metric = "Throttles", dimensions = tomap({ FunctionName = "cdc-test-consumer" }), statistic = "Sum", threshold = 1 }
      failed_batches                = { name = "cdc-test-failed-batches", namespace = "AWS/Lambda", metric = "OnFailureDestinationDeliveredEventCount", dimensions = tomap({ EventSourceMappingUUID = aws_lambda_event_source_mapping.stream.uuid }), statistic = "Sum", threshold = 1 }
      destination_delivery_failures = { name = "cdc-test-destination-delivery-failures", namespace = "AWS/Lambda", metric = "DestinationDeliveryFailures", dimensions = tomap({ FunctionName = "cdc-test-consumer" }), statistic = "Sum", threshold = 1 }
      writer_errors                 = { name = "cdc-test-writer-errors", namespace = "AWS/Lambda", metric = "Errors", dimensions = tomap({ FunctionName = "cdc-test-writer" }), statistic = "Sum", threshold = 1 }
      api_5xx                       = { name = "cdc-test-api-5xx", namespace = "AWS/ApiGateway", metric = "5xx", dimensions = tomap({ ApiId = aws_apigatewayv2_api.this[0].id, Stage = "$default" }), statistic = "Sum", threshold = 5 }
    }
    error_message = "Each single-metric alarm must watch exactly its documented metric, dimensions and statistic with its default threshold."
  }

  assert {
    condition = { for key in ["table_throttles", "table_system_errors"] : key => {
      threshold = aws_cloudwatch_metric_alarm.this[key].threshold
      total     = one([for q in aws_cloudwatch_metric_alarm.this[key].metric_query : q.expression if q.return_data])
      metrics = { for q in aws_cloudwatch_metric_alarm.this[key].metric_query : q.id => {
        namespace  = q.metric[0].namespace
        metric     = q.metric[0].metric_name
        dimensions = q.metric[0].dimensions
        stat       = q.metric[0].stat
      } if !q.return_data }
      } } == {
      table_throttles = {
        threshold = 5
        total     = "SUM([m0, m1, m2, m3, m4])"
        metrics = { for index, operation in ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "GetRecords"] : "m${index}" => {
          namespace = "AWS/DynamoDB", metric = "ThrottledRequests", dimensions = tomap({ TableName = "cdc-test-products", Operation = operation }), stat = "Sum"
        } }
      }
      table_system_errors = {
        threshold = 1
        total     = "SUM([m0, m1, m2, m3, m4])"
        metrics = { for index, operation in ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "GetRecords"] : "m${index}" => {
          namespace = "AWS/DynamoDB", metric = "SystemErrors", dimensions = tomap({ TableName = "cdc-test-products", Operation = operation }), stat = "Sum"
        } }
      }
    }
    error_message = "The table alarms must sum ThrottledRequests and SystemErrors over the operations the module performs (dimensions TableName and Operation)."
  }

  assert {
    condition = alltrue([for alarm in aws_cloudwatch_metric_alarm.this :
      alarm.treat_missing_data == "notBreaching" && alarm.comparison_operator == "GreaterThanOrEqualToThreshold" && alarm.evaluation_periods == 1 &&
      length(alarm.alarm_actions) == 0 && length(alarm.ok_actions) == 0 &&
      alltrue(concat([alarm.period == null || alarm.period == 300], [for q in alarm.metric_query : q.return_data ? true : q.metric[0].period == 300]))
    ])
    error_message = "Alarms must treat no data as nothing happened, compare >= threshold over one 5-minute period and notify nobody by default."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.metrics_config[0].metrics == toset(["EventCount"])
    error_message = "The mapping must publish its EventCount metrics, which the failed_batches alarm watches."
  }

  assert {
    condition     = output.alarm_arns == { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.arn } && length(output.alarm_arns) == 9
    error_message = "alarm_arns must map each of the 9 alarms to its ARN."
  }
}

run "alarm_actions_and_thresholds" {
  command = plan

  variables {
    alarm_actions = ["arn:aws:sns:us-east-1:123456789012:on-call", "arn:aws:sns:us-east-1:123456789012:audit.fifo"]
    alarm_thresholds = {
      consumer_iterator_age_ms = 60000
      api_5xx                  = 20
    }
  }

  assert {
    condition     = alltrue([for alarm in aws_cloudwatch_metric_alarm.this : alarm.alarm_actions == toset(var.alarm_actions) && alarm.ok_actions == toset(var.alarm_actions)])
    error_message = "Every alarm must notify alarm_actions when it fires and when it clears."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["consumer_iterator_age"].threshold == 60000 && aws_cloudwatch_metric_alarm.this["api_5xx"].threshold == 20 && aws_cloudwatch_metric_alarm.this["consumer_errors"].threshold == 1
    error_message = "Given thresholds must apply, and the others keep their defaults."
  }
}

run "alarms_disabled" {
  command = plan

  variables {
    alarms_enabled = false
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.this) == 0 && output.alarm_arns == {}
    error_message = "alarms_enabled = false must create no alarm."
  }

  assert {
    condition     = length(aws_lambda_event_source_mapping.stream.metrics_config) == 0
    error_message = "Without alarms the mapping's (charged) EventCount metrics must stay off."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# Filter criteria encryption
# ---------------------------------------------------------------------------------------------------------------------

run "filter_criteria_encrypted_with_key" {
  command = plan

  variables {
    kms_key_arn     = "arn:aws:kms:us-east-1:123456789012:key/0b3f6e9c-1d2e-4f5a-8b7c-9d0e1f2a3b4c"
    filter_patterns = [jsonencode({ eventName = ["INSERT"] })]
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.kms_key_arn == var.kms_key_arn
    error_message = "Filter criteria must be encrypted with kms_key_arn."
  }
}

run "no_filter_no_filter_key" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/0b3f6e9c-1d2e-4f5a-8b7c-9d0e1f2a3b4c"
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.kms_key_arn == null
    error_message = "Without filter patterns there is nothing to encrypt."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# Validations of the new inputs
# ---------------------------------------------------------------------------------------------------------------------

# Each run below gives several variables a value their validation must refuse, and lists every one of them:
# Terraform checks every variable and a run fails if a listed variable is accepted or an unlisted one is refused, so
# each validation is still proven on its own. A variable with several wrong values gets one in each run.
run "rejects_invalid_operations_values_1" {
  command = plan

  variables {
    on_failure_destination_type   = "kinesis"
    failure_bucket_name           = "Catalog-Failures"                             # uppercase
    failed_batch_retention_days   = 0                                              # zero
    redriven_batch_retention_days = 3651                                           # too long
    failure_bucket_access_log     = { bucket = "Access_Logs" }                     # not a bucket name S3 accepts
    redrive_timeout               = 0                                              # zero
    alarm_actions                 = ["arn:aws:sqs:us-east-1:123456789012:on-call"] # queue
    alarm_thresholds              = { consumer_iterator_age_ms = 999 }             # iterator age below a second
  }

  expect_failures = [
    var.on_failure_destination_type,
    var.failure_bucket_name,
    var.failed_batch_retention_days,
    var.redriven_batch_retention_days,
    var.failure_bucket_access_log,
    var.redrive_timeout,
    var.alarm_actions,
    var.alarm_thresholds,
  ]
}

run "rejects_invalid_operations_values_2" {
  command = plan

  variables {
    failure_bucket_name         = "catalog.failures"                                                    # dotted
    failed_batch_retention_days = 1.5                                                                   # fraction
    redrive_timeout             = 901                                                                   # above lambda limit
    alarm_actions               = [for n in range(6) : "arn:aws:sns:us-east-1:123456789012:topic-${n}"] # too many
    alarm_thresholds            = { consumer_iterator_age_ms = 86400001 }                               # iterator age beyond retention
  }

  expect_failures = [
    var.failure_bucket_name,
    var.failed_batch_retention_days,
    var.redrive_timeout,
    var.alarm_actions,
    var.alarm_thresholds,
  ]
}

run "rejects_invalid_operations_values_3" {
  command = plan

  variables {
    failure_bucket_name = "xn--catalog-failures"  # reserved prefix
    alarm_thresholds    = { consumer_errors = 0 } # consumer errors zero
  }

  expect_failures = [
    var.failure_bucket_name,
    var.alarm_thresholds,
  ]
}

run "rejects_invalid_operations_values_4" {
  command = plan

  variables {
    failure_bucket_name = "a234567890123456789012345678901234567890123456789012345678901234" # too long
    alarm_thresholds    = { consumer_throttles = 0.5 }                                       # consumer throttles fraction
  }

  expect_failures = [
    var.failure_bucket_name,
    var.alarm_thresholds,
  ]
}

run "rejects_invalid_operations_values_5" {
  command = plan

  variables {
    alarm_thresholds = { failed_batch_records = 0 } # failed batch records zero
  }

  expect_failures = [
    var.alarm_thresholds,
  ]
}

run "rejects_invalid_operations_values_6" {
  command = plan

  variables {
    alarm_thresholds = { destination_delivery_failures = -1 } # destination delivery failures negative
  }

  expect_failures = [
    var.alarm_thresholds,
  ]
}

run "rejects_invalid_operations_values_7" {
  command = plan

  variables {
    alarm_thresholds = { writer_errors = 0 } # writer errors zero
  }

  expect_failures = [
    var.alarm_thresholds,
  ]
}

run "rejects_invalid_operations_values_8" {
  command = plan

  variables {
    alarm_thresholds = { api_5xx = 2.5 } # api 5xx fraction
  }

  expect_failures = [
    var.alarm_thresholds,
  ]
}

run "rejects_invalid_operations_values_9" {
  command = plan

  variables {
    alarm_thresholds = { table_throttled_requests = 0 } # table throttled requests zero
  }

  expect_failures = [
    var.alarm_thresholds,
  ]
}

run "rejects_invalid_operations_values_10" {
  command = plan

  variables {
    alarm_thresholds = { table_system_errors = 0 } # table system errors zero
  }

  expect_failures = [
    var.alarm_thresholds,
  ]
}

