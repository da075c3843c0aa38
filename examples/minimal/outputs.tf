output "api_endpoint" {
  description = "Base URL of the HTTP API (requests must be SigV4-signed: the routes use AWS_IAM authorization)."
  value       = module.cdc.api_endpoint
}

output "table_name" {
  description = "Name of the products table."
  value       = module.cdc.table_name
}

output "consumer_log_group_name" {
  description = "Log group where the consumer writes one JSON line per change."
  value       = module.cdc.consumer_log_group_name
}

output "failure_bucket_name" {
  description = "Bucket receiving the batches of stream records the consumer kept failing on."
  value       = module.cdc.failure_bucket_name
}

output "redrive_function_name" {
  description = "Function to invoke to replay those batches once the cause is fixed (docs/operations.md)."
  value       = module.cdc.redrive_function_name
}
