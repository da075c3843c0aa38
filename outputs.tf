output "api_endpoint" {
  description = "Base URL of the HTTP API ($default stage); routes are /products and /products/{id}. Null when create_api is false."
  value       = one(aws_apigatewayv2_api.this[*].api_endpoint)
}

output "api_id" {
  description = "ID of the HTTP API; null when create_api is false."
  value       = one(aws_apigatewayv2_api.this[*].id)
}

output "api_execution_arn" {
  description = "Execution ARN of the HTTP API, for IAM policies that allow execute-api:Invoke when authorization_type is AWS_IAM; null when create_api is false."
  value       = one(aws_apigatewayv2_api.this[*].execution_arn)
}

output "api_access_log_group_name" {
  description = "Name of the log group holding the API's JSON access logs; null when create_api is false."
  value       = one(aws_cloudwatch_log_group.api_access[*].name)
}

output "table_name" {
  description = "Name of the products table (the module's, or existing_table_name)."
  value       = local.table_name
}

output "table_arn" {
  description = "ARN of the products table (the module's, or the existing table's)."
  value       = local.table_arn
}

output "table_stream_arn" {
  description = "ARN of the products table's stream, which the event source mapping reads."
  value       = local.stream_arn
}

output "idempotency_table_name" {
  description = "Name of the Powertools idempotency table; null when idempotency_enabled or create_api is false."
  value       = one(aws_dynamodb_table.idempotency[*].name)
}

output "idempotency_table_arn" {
  description = "ARN of the Powertools idempotency table; null when idempotency_enabled or create_api is false."
  value       = one(aws_dynamodb_table.idempotency[*].arn)
}

output "writer_function_name" {
  description = "Name of the writer function (HTTP API handler); null when create_api is false."
  value       = local.create_writer ? aws_lambda_function.this["writer"].function_name : null
}

output "writer_function_arn" {
  description = "ARN of the writer function; null when create_api is false."
  value       = local.create_writer ? aws_lambda_function.this["writer"].arn : null
}

output "writer_role_arn" {
  description = "ARN of the writer function's execution role; null when create_api is false."
  value       = local.create_writer ? aws_iam_role.this["writer"].arn : null
}

output "writer_log_group_name" {
  description = "Name of the writer function's log group; null when create_api is false."
  value       = local.create_writer ? aws_cloudwatch_log_group.this["writer"].name : null
}

output "consumer_function_name" {
  description = "Name of the module's consumer function (stream batch handler); null when consumer_function_arn is given."
  value       = local.create_consumer ? aws_lambda_function.this["consumer"].function_name : null
}

output "consumer_function_arn" {
  description = "ARN of the function the event source mapping invokes: the module's consumer, or consumer_function_arn."
  value       = local.consumer_function_arn
}

output "consumer_role_arn" {
  description = "ARN of the module's consumer execution role; null when consumer_function_arn is given (the role is the caller's)."
  value       = local.create_consumer ? aws_iam_role.this["consumer"].arn : null
}

output "consumer_role_name" {
  description = "Name of the role that holds the consumer's stream and destination policy: the module's consumer role, or consumer_role_name."
  value       = local.consumer_role_name
}

output "consumer_policy_name" {
  description = "Name of the inline policy that lets the consumer read the stream and send to the on-failure destination (on the caller's role when consumer_function_arn is given)."
  value       = aws_iam_role_policy.this["consumer"].name
}

output "consumer_log_group_name" {
  description = "Name of the module's consumer log group; null when consumer_function_arn is given."
  value       = local.create_consumer ? aws_cloudwatch_log_group.this["consumer"].name : null
}

output "layer_arn" {
  description = "Version ARN of the dependency layer the module's functions use; null when the module creates no function."
  value       = one(aws_lambda_layer_version.dependencies[*].arn)
}

output "event_source_mapping_uuid" {
  description = "UUID of the event source mapping from the table's stream to the consumer."
  value       = aws_lambda_event_source_mapping.stream.uuid
}

output "on_failure_destination_arn" {
  description = "ARN of the bucket, queue or topic that receives batches failing every retry (the module's or on_failure_destination_arn)."
  value       = local.on_failure_destination_arn
}

output "on_failure_destination_type" {
  description = "Type of the on-failure destination: s3 (whole batches), sqs or sns (pointers to the stream)."
  value       = local.destination_type
}

output "dead_letter_queue_url" {
  description = "URL of the SQS queue the module created as on-failure destination (type sqs); null otherwise."
  value       = one(aws_sqs_queue.dead_letter[*].url)
}

output "failure_bucket_name" {
  description = "Name of the bucket holding failed batches (type s3, the module's or the caller's); null for sqs and sns."
  value       = local.failure_bucket_name
}

output "failure_queue_url" {
  description = "URL of the queue the redrive reads failure pointers from: the SQS destination, or for sns the queue the module subscribes to the topic; null for s3."
  value       = local.failure_queue_url
}

output "redrive_function_name" {
  description = "Name of the redrive function (invoke it to replay failed batches; docs/operations.md); null when redrive_enabled is false."
  value       = try(aws_lambda_function.this["redrive"].function_name, null)
}

output "redrive_function_arn" {
  description = "ARN of the redrive function; null when redrive_enabled is false."
  value       = try(aws_lambda_function.this["redrive"].arn, null)
}

output "alarm_arns" {
  description = "ARNs of the CloudWatch alarms by key (consumer_iterator_age, consumer_errors, consumer_throttles, failed_batches, destination_delivery_failures, writer_errors, api_5xx, table_throttles, table_system_errors); empty when alarms_enabled is false."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.arn }
}

output "writer_alias_arn" {
  description = "ARN of the writer's alias \"live\" (the version the API invokes); null unless snap_start_enabled."
  value       = try(aws_lambda_alias.live["writer"].arn, null)
}

output "consumer_alias_arn" {
  description = "ARN of the consumer's alias \"live\" (the version the event source mapping invokes); null unless snap_start_enabled."
  value       = try(aws_lambda_alias.live["consumer"].arn, null)
}
