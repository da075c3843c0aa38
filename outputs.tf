output "api_endpoint" {
  description = "Base URL of the HTTP API ($default stage); routes are /products and /products/{id}."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "api_id" {
  description = "ID of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "api_execution_arn" {
  description = "Execution ARN of the HTTP API, for IAM policies that allow execute-api:Invoke when authorization_type is AWS_IAM."
  value       = aws_apigatewayv2_api.this.execution_arn
}

output "api_access_log_group_name" {
  description = "Name of the log group holding the API's JSON access logs."
  value       = aws_cloudwatch_log_group.api_access.name
}

output "table_name" {
  description = "Name of the products table."
  value       = aws_dynamodb_table.products.name
}

output "table_arn" {
  description = "ARN of the products table."
  value       = aws_dynamodb_table.products.arn
}

output "table_stream_arn" {
  description = "ARN of the products table's stream."
  value       = aws_dynamodb_table.products.stream_arn
}

output "idempotency_table_name" {
  description = "Name of the Powertools idempotency table; null when idempotency_enabled is false."
  value       = one(aws_dynamodb_table.idempotency[*].name)
}

output "idempotency_table_arn" {
  description = "ARN of the Powertools idempotency table; null when idempotency_enabled is false."
  value       = one(aws_dynamodb_table.idempotency[*].arn)
}

output "writer_function_name" {
  description = "Name of the writer function (HTTP API handler)."
  value       = aws_lambda_function.this["writer"].function_name
}

output "writer_function_arn" {
  description = "ARN of the writer function."
  value       = aws_lambda_function.this["writer"].arn
}

output "writer_role_arn" {
  description = "ARN of the writer function's execution role."
  value       = aws_iam_role.this["writer"].arn
}

output "writer_log_group_name" {
  description = "Name of the writer function's log group."
  value       = aws_cloudwatch_log_group.this["writer"].name
}

output "consumer_function_name" {
  description = "Name of the consumer function (stream batch handler)."
  value       = aws_lambda_function.this["consumer"].function_name
}

output "consumer_function_arn" {
  description = "ARN of the consumer function."
  value       = aws_lambda_function.this["consumer"].arn
}

output "consumer_role_arn" {
  description = "ARN of the consumer function's execution role."
  value       = aws_iam_role.this["consumer"].arn
}

output "consumer_log_group_name" {
  description = "Name of the consumer function's log group."
  value       = aws_cloudwatch_log_group.this["consumer"].name
}

output "layer_arn" {
  description = "Version ARN of the dependency layer both functions use."
  value       = aws_lambda_layer_version.dependencies.arn
}

output "event_source_mapping_uuid" {
  description = "UUID of the event source mapping from the table's stream to the consumer."
  value       = aws_lambda_event_source_mapping.stream.uuid
}

output "on_failure_destination_arn" {
  description = "ARN of the queue or topic that receives records failing all retries (the module's dead-letter queue or on_failure_destination_arn)."
  value       = local.on_failure_destination_arn
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue the module created; null when on_failure_destination_arn was given."
  value       = one(aws_sqs_queue.dead_letter[*].url)
}

output "writer_alias_arn" {
  description = "ARN of the writer's alias \"live\" (the version the API invokes); null unless snap_start_enabled."
  value       = try(aws_lambda_alias.live["writer"].arn, null)
}

output "consumer_alias_arn" {
  description = "ARN of the consumer's alias \"live\" (the version the event source mapping invokes); null unless snap_start_enabled."
  value       = try(aws_lambda_alias.live["consumer"].arn, null)
}
