# The event source mapping from the table's stream to the consumer, and where records go when they keep failing.

# Records that exhaust their retries or age out land here (unless the caller names their own queue or topic).
resource "aws_sqs_queue" "dead_letter" {
  # create_dead_letter_queue = false keeps the count known at plan when the caller's ARN is not known until apply.
  count = var.create_dead_letter_queue ? (var.on_failure_destination_arn == null ? 1 : 0) : 0

  name                      = local.names.dead_letter_queue
  message_retention_seconds = 1209600 # 14 days, the SQS maximum
  # SQS-managed encryption unless a customer-managed key is given; the two settings exclude each other.
  sqs_managed_sse_enabled = var.kms_key_arn == null ? true : null
  kms_master_key_id       = var.kms_key_arn
  tags                    = local.tags
}

locals {
  # Null only when the caller turned the queue off without naming a destination, which the mapping refuses below.
  on_failure_destination_arn = var.on_failure_destination_arn != null ? var.on_failure_destination_arn : one(aws_sqs_queue.dead_letter[*].arn)
}

resource "aws_lambda_event_source_mapping" "stream" {
  function_name                      = local.create_consumer ? local.invoked["consumer"].arn : local.consumer_function_arn
  event_source_arn                   = local.stream_arn
  enabled                            = var.event_source_mapping_enabled
  starting_position                  = var.starting_position
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.maximum_batching_window_in_seconds
  maximum_retry_attempts             = var.maximum_retry_attempts
  maximum_record_age_in_seconds      = var.maximum_record_age_in_seconds
  bisect_batch_on_function_error     = var.bisect_batch_on_function_error
  parallelization_factor             = var.parallelization_factor
  tumbling_window_in_seconds         = var.tumbling_window_in_seconds
  function_response_types            = var.report_batch_item_failures ? ["ReportBatchItemFailures"] : []
  tags                               = local.tags

  dynamic "destination_config" {
    for_each = local.on_failure_destination_arn == null ? [] : [local.on_failure_destination_arn]

    content {
      on_failure {
        destination_arn = destination_config.value
      }
    }
  }

  dynamic "filter_criteria" {
    for_each = length(var.filter_patterns) == 0 ? [] : [var.filter_patterns]

    content {
      dynamic "filter" {
        for_each = filter_criteria.value

        content {
          pattern = filter.value
        }
      }
    }
  }

  lifecycle {
    precondition {
      condition     = local.on_failure_destination_arn != null
      error_message = "Records that fail every retry need a destination: set on_failure_destination_arn, or leave create_dead_letter_queue true."
    }
  }

  # Lambda checks at creation that the role can read the stream and send to the destination: the policy must exist
  # first, and the implicit reference to the role alone does not order the policy before the mapping.
  depends_on = [aws_iam_role_policy.this["consumer"]]
}
