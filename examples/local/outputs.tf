output "api_endpoint" {
  description = "Base URL of the HTTP API ($default stage); routes are /products and /products/{id}."
  value       = module.cdc.api_endpoint
}

output "api_id" {
  description = "ID of the HTTP API."
  value       = module.cdc.api_id
}

output "api_execution_arn" {
  description = "Execution ARN of the HTTP API, for IAM policies that allow execute-api:Invoke when authorization_type is AWS_IAM."
  value       = module.cdc.api_execution_arn
}

output "api_access_log_group_name" {
  description = "Name of the log group holding the API's JSON access logs."
  value       = module.cdc.api_access_log_group_name
}

output "table_name" {
  description = "Name of the products table."
  value       = module.cdc.table_name
}

output "table_arn" {
  description = "ARN of the products table."
  value       = module.cdc.table_arn
}

output "table_stream_arn" {
  description = "ARN of the products table's stream."
  value       = module.cdc.table_stream_arn
}

output "idempotency_table_name" {
  description = "Name of the Powertools idempotency table; null when idempotency_enabled is false."
  value       = module.cdc.idempotency_table_name
}

output "idempotency_table_arn" {
  description = "ARN of the Powertools idempotency table; null when idempotency_enabled is false."
  value       = module.cdc.idempotency_table_arn
}

output "writer_function_name" {
  description = "Name of the writer function (HTTP API handler)."
  value       = module.cdc.writer_function_name
}

output "writer_function_arn" {
  description = "ARN of the writer function."
  value       = module.cdc.writer_function_arn
}

output "writer_role_arn" {
  description = "ARN of the writer function's execution role."
  value       = module.cdc.writer_role_arn
}

output "writer_log_group_name" {
  description = "Name of the writer function's log group."
  value       = module.cdc.writer_log_group_name
}

output "consumer_function_name" {
  description = "Name of the consumer function (stream batch handler)."
  value       = module.cdc.consumer_function_name
}

output "consumer_function_arn" {
  description = "ARN of the consumer function."
  value       = module.cdc.consumer_function_arn
}

output "consumer_role_arn" {
  description = "ARN of the consumer function's execution role."
  value       = module.cdc.consumer_role_arn
}

output "consumer_log_group_name" {
  description = "Name of the consumer function's log group."
  value       = module.cdc.consumer_log_group_name
}

output "layer_arn" {
  description = "Version ARN of the dependency layer both functions use."
  value       = module.cdc.layer_arn
}

output "event_source_mapping_uuid" {
  description = "UUID of the event source mapping from the table's stream to the consumer."
  value       = module.cdc.event_source_mapping_uuid
}

output "on_failure_destination_arn" {
  description = "ARN of the bucket, queue or topic that receives batches failing every retry."
  value       = module.cdc.on_failure_destination_arn
}

output "on_failure_destination_type" {
  description = "Type of the on-failure destination: s3, sqs or sns."
  value       = module.cdc.on_failure_destination_type
}

output "dead_letter_queue_url" {
  description = "URL of the SQS queue the module created as on-failure destination (type sqs); null otherwise."
  value       = module.cdc.dead_letter_queue_url
}

output "failure_bucket_name" {
  description = "Name of the bucket holding failed batches (type s3); null otherwise."
  value       = module.cdc.failure_bucket_name
}

output "failure_queue_url" {
  description = "URL of the queue the redrive reads failure pointers from (types sqs and sns); null for s3."
  value       = module.cdc.failure_queue_url
}

output "redrive_function_name" {
  description = "Name of the redrive function."
  value       = module.cdc.redrive_function_name
}

output "alarm_arns" {
  description = "ARNs of the module's CloudWatch alarms by key."
  value       = module.cdc.alarm_arns
}

output "writer_alias_arn" {
  description = "ARN of the writer's alias \"live\"; null unless snap_start_enabled."
  value       = module.cdc.writer_alias_arn
}

output "consumer_alias_arn" {
  description = "ARN of the consumer's alias \"live\"; null unless snap_start_enabled."
  value       = module.cdc.consumer_alias_arn
}
