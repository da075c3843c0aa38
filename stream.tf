# The event source mapping from the table's stream to the consumer; where failed batches go is in failures.tf.

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
  # Lambda stores the filter criteria encrypted with the customer's key (its policy must allow lambda.amazonaws.com
  # to decrypt); without filters there is nothing to encrypt.
  kms_key_arn = length(var.filter_patterns) > 0 ? var.kms_key_arn : null
  tags        = local.tags

  dynamic "destination_config" {
    for_each = local.on_failure_destination_arn == null ? [] : [local.on_failure_destination_arn]

    content {
      on_failure {
        destination_arn = destination_config.value
      }
    }
  }

  # The mapping's own metrics (records polled, filtered, invoked, dropped, sent to the on-failure destination):
  # the failed_batches alarm watches OnFailureDestinationDeliveredEventCount, which exists only with EventCount.
  dynamic "metrics_config" {
    for_each = var.alarms_enabled ? ["EventCount"] : []

    content {
      metrics = [metrics_config.value]
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
      error_message = "Records that fail every retry need a destination: set on_failure_destination_arn, or leave create_on_failure_destination true."
    }

    precondition {
      # arn:<partition>:<service>:...; null is refused by the precondition above.
      condition     = local.on_failure_destination_arn == null || try(split(":", local.on_failure_destination_arn)[2] == local.destination_type, false)
      error_message = "on_failure_destination_arn must be an ARN of the service named by on_failure_destination_type (s3: arn:<partition>:s3:::<bucket>, sqs: a queue ARN, sns: a topic ARN)."
    }
  }

  # Lambda checks at creation that the role can read the stream and send to the destination: the policy must exist
  # first, and the implicit reference to the role alone does not order the policy before the mapping.
  depends_on = [aws_iam_role_policy.this["consumer"]]
}
