# A stack with its own stream consumer (function, role, log group) that uses the module for the rest: table, HTTP
# API and writer, the event source mapping to the stack's function, the dead-letter queue, and a policy on the
# stack's role that lets the function read the stream and send to that queue. The AWS provider is configured by
# the caller's environment (AWS_REGION, credentials) or by an override file.

locals {
  function_name   = "${var.name}-own-consumer"
  consumer_source = "${path.module}/consumer/handler.py"
  # The package is named after its source's hash, which is also the function's source_code_hash: known at plan,
  # so the next plan proposes nothing, and a changed handler replaces the package and updates the function.
  consumer_hash    = filesha256(local.consumer_source)
  consumer_package = "${path.module}/.build/consumer-${local.consumer_hash}.zip"
}

# Terraform's built-ins only: Python's own zipfile module writes the package during apply.
resource "terraform_data" "consumer_package" {
  triggers_replace = local.consumer_hash

  provisioner "local-exec" {
    # Paths go through the environment, so no quoting of them in the command is needed.
    command = "mkdir -p \"$(dirname \"$PACKAGE\")\" && python3 -m zipfile -c \"$PACKAGE\" \"$SOURCE\""
    environment = {
      PACKAGE = local.consumer_package
      SOURCE  = local.consumer_source
    }
  }
}

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "consumer" {
  name               = local.function_name
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
}

resource "aws_cloudwatch_log_group" "consumer" {
  #checkov:skip=CKV_AWS_158:the AWS-managed key keeps the example self-contained; examples/complete shows a customer-managed key
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = 365
}

# What the function needs besides the stream: its logs and traces. The module adds the stream and queue statements.
data "aws_iam_policy_document" "consumer" {
  statement {
    sid       = "OwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.consumer.arn}:*"]
  }

  # X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions.
  statement {
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "consumer" {
  name   = "${local.function_name}-logs"
  role   = aws_iam_role.consumer.id
  policy = data.aws_iam_policy_document.consumer.json
}

resource "aws_lambda_function" "consumer" {
  #checkov:skip=CKV_AWS_116:invoked by the event source mapping only, which sends records failing every retry to the module's dead-letter queue
  #checkov:skip=CKV_AWS_117:the function calls no resource inside a VPC
  #checkov:skip=CKV_AWS_272:code signing needs a signing profile of the caller's
  function_name                  = local.function_name
  description                    = "Stream consumer of ${var.name}, owned by the stack"
  role                           = aws_iam_role.consumer.arn
  runtime                        = "python3.13"
  handler                        = "handler.lambda_handler"
  filename                       = local.consumer_package
  source_code_hash               = local.consumer_hash
  memory_size                    = 128
  timeout                        = 30
  reserved_concurrent_executions = 5

  tracing_config {
    mode = "Active"
  }

  depends_on = [
    terraform_data.consumer_package,
    aws_cloudwatch_log_group.consumer,
    aws_iam_role_policy.consumer,
  ]
}

module "cdc" {
  source = "../.."

  name = var.name

  consumer_function_arn = aws_lambda_function.consumer.arn
  consumer_role_name    = aws_iam_role.consumer.name
}
