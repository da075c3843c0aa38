# What a caller of this stack needs; every other output of the module is available as module.cdc.<name> here.

output "api_endpoint" {
  description = "Base URL of the HTTP API (requests need a JWT from jwt_issuer for jwt_audience)."
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

output "failure_topic_arn" {
  description = "SNS topic receiving the stream records the consumer kept failing on."
  value       = aws_sns_topic.failures.arn
}

output "redrive_function_name" {
  description = "Function to invoke to replay failed batches (docs/operations.md)."
  value       = module.cdc.redrive_function_name
}

output "alarm_arns" {
  description = "ARNs of the module's CloudWatch alarms by key."
  value       = module.cdc.alarm_arns
}

output "kms_key_arn" {
  description = "ARN of the customer-managed key encrypting the tables, the log groups and the failure topic."
  value       = aws_kms_key.data.arn
}
