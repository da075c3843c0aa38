# CloudWatch alarms on what an operator must act on (docs/operations.md says what each means and what to do).

locals {
  # What the alarms, the redrive and its policy watch or call. Each is named once here, so a module without one of
  # these resources (an existing table, a caller's consumer, no HTTP API) changes only these lines.
  alarm_table_name             = local.table_name
  alarm_consumer_function_name = local.create_consumer ? aws_lambda_function.this["consumer"].function_name : split(":", var.consumer_function_arn)[6]
  alarm_writer_enabled         = local.create_writer
  alarm_writer_function_name   = local.create_writer ? aws_lambda_function.this["writer"].function_name : null
  alarm_api_enabled            = var.create_api
  alarm_api_id                 = one(aws_apigatewayv2_api.this[*].id)
  alarm_api_stage              = one(aws_apigatewayv2_stage.default[*].name)
  alarm_event_source_mapping   = aws_lambda_event_source_mapping.stream.uuid
  # Built from the consumer's name rather than read from aws_lambda_function.this, which also holds the redrive:
  # the redrive's environment and policy cannot depend on the resource they configure. A caller's consumer is
  # named by its ARN. Under SnapStart the redrive replays through the consumer's alias, as the mapping invokes it.
  redrive_consumer_function = local.create_consumer ? "arn:${local.arn_parts[1]}:lambda:${local.arn_parts[3]}:${local.arn_parts[4]}:function:${local.names.consumer}${contains(local.snap_start_functions, "consumer") ? ":${local.snap_start_alias}" : ""}" : var.consumer_function_arn
  redrive_stream_arn        = local.stream_arn
}

locals {
  # Five minutes: long enough to sum a burst into one data point, short enough to page within minutes.
  alarm_period = 300

  # The table operations whose per-operation metrics (dimensions TableName and Operation) the table alarms add up:
  # the writer's item operations and the mapping's stream reads.
  alarm_table_operations = ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "GetRecords"]

  # Every alarm watches one metric (namespace, name, dimensions, statistic) or, when operations is set, the sum
  # of one metric over those values of the Operation dimension. No data means nothing happened: an idle stream
  # has no iterator age, a function without errors reports none.
  alarm_definitions = {
    consumer_iterator_age = {
      enabled     = true
      description = "Age of the newest record the consumer of ${var.name} read is above ${var.alarm_thresholds.consumer_iterator_age_ms} ms: it falls behind the stream or a batch keeps failing."
      namespace   = "AWS/Lambda"
      metric_name = "IteratorAge"
      dimensions  = { FunctionName = local.alarm_consumer_function_name }
      statistic   = "Maximum"
      threshold   = var.alarm_thresholds.consumer_iterator_age_ms
      operations  = []
    }
    consumer_errors = {
      enabled     = true
      description = "Consumer of ${var.name} failed at least ${var.alarm_thresholds.consumer_errors} invocations in 5 minutes (errors and timeouts, not records it reported as failed)."
      namespace   = "AWS/Lambda"
      metric_name = "Errors"
      dimensions  = { FunctionName = local.alarm_consumer_function_name }
      statistic   = "Sum"
      threshold   = var.alarm_thresholds.consumer_errors
      operations  = []
    }
    consumer_throttles = {
      enabled     = true
      description = "Consumer of ${var.name} was throttled at least ${var.alarm_thresholds.consumer_throttles} times in 5 minutes: its concurrency is too low for the stream's shards."
      namespace   = "AWS/Lambda"
      metric_name = "Throttles"
      dimensions  = { FunctionName = local.alarm_consumer_function_name }
      statistic   = "Sum"
      threshold   = var.alarm_thresholds.consumer_throttles
      operations  = []
    }
    failed_batches = {
      enabled     = true
      description = "At least ${var.alarm_thresholds.failed_batch_records} records of ${var.name} went to the on-failure destination in 5 minutes: the consumer gave up on them. Replay with ${local.names.redrive} after fixing the cause."
      namespace   = "AWS/Lambda"
      metric_name = "OnFailureDestinationDeliveredEventCount"
      dimensions  = { EventSourceMappingUUID = local.alarm_event_source_mapping }
      statistic   = "Sum"
      threshold   = var.alarm_thresholds.failed_batch_records
      operations  = []
    }
    destination_delivery_failures = {
      enabled     = true
      description = "Lambda could not deliver ${var.name}'s failed batches to the on-failure destination at least ${var.alarm_thresholds.destination_delivery_failures} times in 5 minutes: those records are lost. Check the consumer role and the destination's policy and key."
      namespace   = "AWS/Lambda"
      metric_name = "DestinationDeliveryFailures"
      dimensions  = { FunctionName = local.alarm_consumer_function_name }
      statistic   = "Sum"
      threshold   = var.alarm_thresholds.destination_delivery_failures
      operations  = []
    }
    writer_errors = {
      enabled     = local.alarm_writer_enabled
      description = "Writer of ${var.name} failed at least ${var.alarm_thresholds.writer_errors} invocations in 5 minutes (unhandled errors and timeouts; rejected requests are answers, not errors)."
      namespace   = "AWS/Lambda"
      metric_name = "Errors"
      dimensions  = { FunctionName = local.alarm_writer_function_name }
      statistic   = "Sum"
      threshold   = var.alarm_thresholds.writer_errors
      operations  = []
    }
    api_5xx = {
      enabled     = local.alarm_api_enabled
      description = "The HTTP API of ${var.name} answered at least ${var.alarm_thresholds.api_5xx} requests with a 5xx status in 5 minutes."
      namespace   = "AWS/ApiGateway"
      metric_name = "5xx"
      dimensions  = { ApiId = local.alarm_api_id, Stage = local.alarm_api_stage }
      statistic   = "Sum"
      threshold   = var.alarm_thresholds.api_5xx
      operations  = []
    }
    table_throttles = {
      enabled     = true
      description = "DynamoDB throttled at least ${var.alarm_thresholds.table_throttled_requests} requests to ${local.alarm_table_name} in 5 minutes (${join(", ", local.alarm_table_operations)})."
      namespace   = "AWS/DynamoDB"
      metric_name = "ThrottledRequests"
      dimensions  = { TableName = local.alarm_table_name }
      statistic   = "Sum"
      threshold   = var.alarm_thresholds.table_throttled_requests
      operations  = local.alarm_table_operations
    }
    table_system_errors = {
      enabled     = true
      description = "DynamoDB answered at least ${var.alarm_thresholds.table_system_errors} requests to ${local.alarm_table_name} with an internal error (HTTP 500) in 5 minutes (${join(", ", local.alarm_table_operations)})."
      namespace   = "AWS/DynamoDB"
      metric_name = "SystemErrors"
      dimensions  = { TableName = local.alarm_table_name }
      statistic   = "Sum"
      threshold   = var.alarm_thresholds.table_system_errors
      operations  = local.alarm_table_operations
    }
  }

  alarms = { for key, alarm in local.alarm_definitions : key => alarm if var.alarms_enabled && alarm.enabled }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name}-${replace(each.key, "_", "-")}"
  alarm_description   = each.value.description
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = each.value.threshold
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  # The same topics hear when the alarm clears, so nobody keeps working on a problem that is gone.
  alarm_actions = var.alarm_actions
  ok_actions    = var.alarm_actions
  tags          = local.tags

  # One metric...
  namespace   = length(each.value.operations) == 0 ? each.value.namespace : null
  metric_name = length(each.value.operations) == 0 ? each.value.metric_name : null
  dimensions  = length(each.value.operations) == 0 ? each.value.dimensions : null
  statistic   = length(each.value.operations) == 0 ? each.value.statistic : null
  period      = length(each.value.operations) == 0 ? local.alarm_period : null

  # ... or the sum over the Operation dimension, which DynamoDB's per-request metrics always carry.
  dynamic "metric_query" {
    for_each = length(each.value.operations) == 0 ? [] : ["total"]

    content {
      id          = metric_query.value
      expression  = "SUM([${join(", ", [for index, _ in each.value.operations : "m${index}"])}])"
      label       = "${each.value.metric_name} (${join(", ", each.value.operations)})"
      return_data = true
    }
  }

  dynamic "metric_query" {
    for_each = each.value.operations

    content {
      id          = "m${metric_query.key}"
      return_data = false

      metric {
        namespace   = each.value.namespace
        metric_name = each.value.metric_name
        dimensions  = merge(each.value.dimensions, { Operation = metric_query.value })
        stat        = each.value.statistic
        period      = local.alarm_period
      }
    }
  }
}
