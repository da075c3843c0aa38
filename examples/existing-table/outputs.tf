output "table_name" {
  description = "Name of the stack's own table, whose changes the consumer logs."
  value       = aws_dynamodb_table.orders.name
}

output "table_stream_arn" {
  description = "ARN of the table's stream the module's event source mapping reads."
  value       = module.cdc.table_stream_arn
}

output "consumer_function_name" {
  description = "Name of the module's consumer function."
  value       = module.cdc.consumer_function_name
}

output "consumer_log_group_name" {
  description = "Log group where the consumer writes one JSON line per change."
  value       = module.cdc.consumer_log_group_name
}

output "event_source_mapping_uuid" {
  description = "UUID of the event source mapping from the table's stream to the consumer."
  value       = module.cdc.event_source_mapping_uuid
}

output "dead_letter_queue_url" {
  description = "Queue receiving the stream records the consumer kept failing on."
  value       = module.cdc.dead_letter_queue_url
}
