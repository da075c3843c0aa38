# The writer and consumer functions, the dependency layer they share, and their log groups.

locals {
  common_environment = {
    POWERTOOLS_SERVICE_NAME      = local.service_name
    POWERTOOLS_METRICS_NAMESPACE = local.metrics_namespace
    POWERTOOLS_LOG_LEVEL         = var.log_level
  }

  # Names and settings only: nothing here is a secret.
  writer_environment = merge(
    local.common_environment,
    { TABLE_NAME = aws_dynamodb_table.products.name },
    var.idempotency_enabled ? { IDEMPOTENCY_TABLE_NAME = aws_dynamodb_table.idempotency[0].name } : {},
  )

  consumer_environment = merge(
    local.common_environment,
    var.consumer_record_handler == null ? {} : { RECORD_HANDLER = var.consumer_record_handler },
  )
}

# Created by the module rather than by Lambda on first invocation, so retention, encryption and tags apply and
# the IAM policies can name exactly this log group.
resource "aws_cloudwatch_log_group" "writer" {
  #checkov:skip=CKV_AWS_338:retention is the caller's choice (log_retention_in_days, default 30 days; 0 keeps logs forever)
  name              = "/aws/lambda/${local.names.writer}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn
  tags              = local.tags
}

resource "aws_cloudwatch_log_group" "consumer" {
  #checkov:skip=CKV_AWS_338:retention is the caller's choice (log_retention_in_days, default 30 days; 0 keeps logs forever)
  name              = "/aws/lambda/${local.names.consumer}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn
  tags              = local.tags
}

resource "aws_lambda_layer_version" "dependencies" {
  layer_name               = local.names.layer
  description              = "Pinned third-party packages of the ${var.name} functions (lambda_src/requirements.txt)"
  filename                 = local.packages.layer.path
  source_code_hash         = local.packages.layer.hash
  compatible_runtimes      = [var.runtime]
  compatible_architectures = [var.architecture]

  # The functions move to the new version before the old one is deleted.
  lifecycle {
    create_before_destroy = true
  }

  depends_on = [terraform_data.package["layer"]]
}

resource "aws_lambda_function" "writer" {
  #checkov:skip=CKV_AWS_116:the HTTP API invokes the writer synchronously and receives its errors; a DLQ only applies to asynchronous invocations
  #checkov:skip=CKV_AWS_117:VPC placement is opt-in through subnet_ids and security_group_ids (the function needs no VPC resource)
  #checkov:skip=CKV_AWS_272:code signing is opt-in through code_signing_config_arn (it needs a signing profile of the caller's)
  #checkov:skip=CKV_AWS_173:the environment holds names only, never secrets; encrypted with kms_key_arn when set, else the AWS-managed key
  function_name                  = local.names.writer
  description                    = "HTTP API handler of ${var.name}: writes products to ${local.names.table}"
  role                           = aws_iam_role.writer.arn
  runtime                        = var.runtime
  architectures                  = [var.architecture]
  handler                        = "writer.handler.lambda_handler"
  filename                       = local.packages.writer.path
  source_code_hash               = local.packages.writer.hash
  layers                         = [aws_lambda_layer_version.dependencies.arn]
  memory_size                    = var.writer_memory_size
  timeout                        = var.writer_timeout
  reserved_concurrent_executions = var.writer_reserved_concurrent_executions
  kms_key_arn                    = var.kms_key_arn
  code_signing_config_arn        = var.code_signing_config_arn
  tags                           = local.tags

  environment {
    variables = local.writer_environment
  }

  tracing_config {
    mode = var.tracing_mode
  }

  dynamic "vpc_config" {
    for_each = local.vpc_enabled ? [true] : []

    content {
      subnet_ids         = var.subnet_ids
      security_group_ids = var.security_group_ids
    }
  }

  lifecycle {
    precondition {
      condition     = (length(var.subnet_ids) == 0) == (length(var.security_group_ids) == 0)
      error_message = "VPC placement needs both subnet_ids and security_group_ids (or neither)."
    }
  }

  depends_on = [
    terraform_data.package["writer"],
    aws_cloudwatch_log_group.writer,
    aws_iam_role_policy.writer,
  ]
}

resource "aws_lambda_function" "consumer" {
  #checkov:skip=CKV_AWS_116:the event source mapping invokes the consumer synchronously; records that fail every retry go to the mapping's on-failure destination
  #checkov:skip=CKV_AWS_117:VPC placement is opt-in through subnet_ids and security_group_ids (the function needs no VPC resource)
  #checkov:skip=CKV_AWS_272:code signing is opt-in through code_signing_config_arn (it needs a signing profile of the caller's)
  #checkov:skip=CKV_AWS_173:the environment holds names only, never secrets; encrypted with kms_key_arn when set, else the AWS-managed key
  function_name                  = local.names.consumer
  description                    = "Stream consumer of ${var.name}: logs every change of ${local.names.table}"
  role                           = aws_iam_role.consumer.arn
  runtime                        = var.runtime
  architectures                  = [var.architecture]
  handler                        = "consumer.handler.lambda_handler"
  filename                       = local.packages.consumer.path
  source_code_hash               = local.packages.consumer.hash
  layers                         = [aws_lambda_layer_version.dependencies.arn]
  memory_size                    = var.consumer_memory_size
  timeout                        = var.consumer_timeout
  reserved_concurrent_executions = var.consumer_reserved_concurrent_executions
  kms_key_arn                    = var.kms_key_arn
  code_signing_config_arn        = var.code_signing_config_arn
  tags                           = local.tags

  environment {
    variables = local.consumer_environment
  }

  tracing_config {
    mode = var.tracing_mode
  }

  dynamic "vpc_config" {
    for_each = local.vpc_enabled ? [true] : []

    content {
      subnet_ids         = var.subnet_ids
      security_group_ids = var.security_group_ids
    }
  }

  depends_on = [
    terraform_data.package["consumer"],
    aws_cloudwatch_log_group.consumer,
    aws_iam_role_policy.consumer,
  ]
}
