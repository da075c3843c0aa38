# Naming, tags and what the module creates, shared by every other file. ARNs are taken from the resources (or the
# existing table) themselves, so the module needs no account, region or partition lookups.

locals {
  # Every named resource starts with var.name, so two instances live side by side in one account and region.
  names = {
    table             = "${var.name}-products"
    idempotency_table = "${var.name}-idempotency"
    writer            = "${var.name}-writer"
    consumer          = "${var.name}-consumer"
    layer             = "${var.name}-dependencies"
    redrive           = "${var.name}-redrive"
    dead_letter_queue = "${var.name}-consumer-failures"
    failure_topic     = "${var.name}-consumer-failures"
    failure_pointers  = "${var.name}-consumer-failure-pointers"
    api               = var.name
    api_log_group     = "/aws/apigateway/${var.name}-access"
  }

  tags = var.tags

  service_name      = coalesce(var.service_name, var.name)
  metrics_namespace = coalesce(var.metrics_namespace, var.name)

  # What the module creates; the rest it is given by the caller.
  create_table             = var.existing_table_name == null
  create_writer            = var.create_api
  create_idempotency_table = local.create_writer && var.idempotency_enabled
  # Decided by the role's name, which is known at plan, while a function created in the same configuration has its
  # ARN only after apply; the consumer policy's precondition (iam.tf) requires the two together.
  create_consumer           = var.consumer_role_name == null
  create_dependencies_layer = local.create_writer || local.create_consumer

  # The table every other file works on: the module's own, or the caller's existing one (read in table.tf).
  table_name = local.create_table ? aws_dynamodb_table.products[0].name : data.aws_dynamodb_table.existing[0].name
  table_arn  = local.create_table ? aws_dynamodb_table.products[0].arn : data.aws_dynamodb_table.existing[0].arn
  stream_arn = local.create_table ? aws_dynamodb_table.products[0].stream_arn : data.aws_dynamodb_table.existing[0].stream_arn

  # The function the event source mapping invokes, and the role its stream and destination policy is attached to.
  consumer_function_arn = local.create_consumer ? aws_lambda_function.this["consumer"].arn : var.consumer_function_arn
  consumer_role_name    = local.create_consumer ? aws_iam_role.this["consumer"].name : var.consumer_role_name
}
