output "api_endpoint" {
  description = "Base URL of the HTTP API (requests must be SigV4-signed: the routes use AWS_IAM authorization)."
  value       = module.cdc.api_endpoint
}

output "table_name" {
  description = "Name of the products table."
  value       = module.cdc.table_name
}

output "consumer_function_name" {
  description = "Name of the stack's own consumer, which the module's event source mapping invokes."
  value       = aws_lambda_function.consumer.function_name
}

output "consumer_log_group_name" {
  description = "Log group where the stack's consumer writes one JSON line per change."
  value       = aws_cloudwatch_log_group.consumer.name
}

output "consumer_policy_name" {
  description = "Name of the policy the module attached to the consumer's role (stream and dead-letter queue)."
  value       = module.cdc.consumer_policy_name
}

output "dead_letter_queue_url" {
  description = "Queue receiving the stream records the consumer kept failing on."
  value       = module.cdc.dead_letter_queue_url
}
