output "api_endpoint" {
  description = "Base URL of the HTTP API ($default stage)."
  value       = module.cdc.api_endpoint
}

output "api_id" {
  description = "ID of the HTTP API."
  value       = module.cdc.api_id
}

output "table_name" {
  description = "Name of the products table."
  value       = module.cdc.table_name
}

output "writer_function_name" {
  description = "Name of the writer function."
  value       = module.cdc.writer_function_name
}

output "consumer_function_name" {
  description = "Name of the consumer function."
  value       = module.cdc.consumer_function_name
}

output "consumer_log_group_name" {
  description = "Name of the consumer function's log group."
  value       = module.cdc.consumer_log_group_name
}

output "event_source_mapping_uuid" {
  description = "UUID of the event source mapping from the table's stream to the consumer."
  value       = module.cdc.event_source_mapping_uuid
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue the module created."
  value       = module.cdc.dead_letter_queue_url
}

output "failure_bucket_name" {
  description = "Name of the bucket holding failed batches (type s3); null otherwise."
  value       = module.cdc.failure_bucket_name
}

output "failure_queue_url" {
  description = "URL of the queue holding failure pointers (types sqs and sns); null for s3."
  value       = module.cdc.failure_queue_url
}
