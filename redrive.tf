# The redrive: a function an operator invokes to replay the failed batches kept by the on-failure destination
# through the consumer (docs/operations.md). It is deployed like the writer and consumer, through local.functions
# (functions.tf), local.packages (packaging.tf) and local.function_statements (iam.tf); this file says what is its own.
#
# Its contract with the code in lambda_src/redrive: the environment below, the payload {"dry_run", "limit"} and the
# answer {"found", "replayed", "still_failing", "expired", "dry_run", "batches"}.

locals {
  redrive_function = {
    description                    = "Replays the failed batches of ${var.name} (its on-failure destination) through the consumer"
    handler                        = "redrive.handler.lambda_handler"
    memory_size                    = 256
    timeout                        = var.redrive_timeout
    reserved_concurrent_executions = null
    environment = merge(
      local.common_environment,
      {
        # Invoked synchronously, so the redrive knows which batches the consumer still fails.
        CONSUMER_FUNCTION = local.redrive_consumer_function
        DESTINATION_TYPE  = local.destination_type
        DESTINATION_ARN   = local.on_failure_destination_arn
      },
      # S3 objects are read from the bucket in DESTINATION_ARN; pointers from the SQS queue (for SNS, the queue
      # subscribed to the topic).
      local.failure_queue_url == null ? {} : { FAILURE_QUEUE_URL = local.failure_queue_url },
    )
  }
}
