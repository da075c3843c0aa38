# One role per function the module creates, each allowed only what its function does, on exactly this module's
# resources; for the caller's own consumer, one policy on the caller's role with what the mapping needs.

locals {
  # Lambda delivers to the on-failure destination with the consumer's role. For S3 it also lists the bucket (AWS
  # documents s3:ListBucket next to s3:PutObject for S3 destinations of event source mappings).
  destination_statements = local.on_failure_destination_arn == null ? [] : {
    s3 = [
      {
        sid       = "OnFailureDestination"
        actions   = ["s3:PutObject"]
        resources = ["${local.on_failure_destination_arn}/*"]
      },
      {
        sid       = "OnFailureDestinationBucket"
        actions   = ["s3:ListBucket"]
        resources = [local.on_failure_destination_arn]
      },
    ]
    sqs = [{
      sid       = "OnFailureDestination"
      actions   = ["sqs:SendMessage"]
      resources = [local.on_failure_destination_arn]
    }]
    sns = [{
      sid       = "OnFailureDestination"
      actions   = ["sns:Publish"]
      resources = [local.on_failure_destination_arn]
    }]
  }[local.destination_type]

  # The redrive reads failed batches back (S3: the objects, moved to redriven/ once replayed; SQS and SNS: the
  # pointer messages, and the stream records they point to) and replays them through the consumer.
  redrive_statements = local.on_failure_destination_arn == null ? [] : concat(
    local.destination_type == "s3" ? [
      {
        sid       = "FailedBatchObjects"
        actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        resources = ["${local.on_failure_destination_arn}/*"]
      },
      {
        sid       = "FailedBatchBucket"
        actions   = ["s3:ListBucket"]
        resources = [local.on_failure_destination_arn]
      },
      ] : [
      {
        sid       = "FailedBatchPointers"
        actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
        resources = [local.failure_queue_arn]
      },
      # Only pointers are stored: the records themselves are read again from the stream while it keeps them.
      {
        sid       = "ReadStream"
        actions   = ["dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords"]
        resources = [local.redrive_stream_arn]
      },
    ],
    [{
      sid       = "ReplayThroughConsumer"
      actions   = ["lambda:InvokeFunction"]
      resources = [local.redrive_consumer_function]
    }],
  )
}

data "aws_iam_policy_document" "lambda_assume_role" {
  statement {
    sid     = "LambdaAssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = local.functions

  name               = local.names[each.key]
  description        = "Execution role of the ${local.names[each.key]} function"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
  tags               = local.tags
}

locals {
  # What only one function does; the statements both need follow in the policy document below.
  function_statements = {
    writer = concat(
      [{
        sid       = "ProductItems"
        actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
        resources = [local.table_arn]
      }],
      local.create_idempotency_table ? [{
        sid       = "IdempotencyRecords"
        actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
        resources = [aws_dynamodb_table.idempotency[0].arn]
      }] : [],
    )
    consumer = concat(
      [{
        sid       = "ReadStream"
        actions   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
        resources = [local.stream_arn]
      }],
      # Lambda lists the table's streams with the role for the mapping. ListStreams supports no resource-level
      # permissions: "*" is the only value AWS honours (a table or stream ARN here would grant nothing).
      [{
        sid       = "ListStreams"
        actions   = ["dynamodb:ListStreams"]
        resources = ["*"]
      }],
      local.destination_statements,
    )
    redrive = local.redrive_statements
  }
}

locals {
  # One policy per function the module creates, on its own role, and one on the caller's role for their consumer.
  policy_roles = merge(
    { for key, role in aws_iam_role.this : key => role.id },
    local.create_consumer ? {} : { consumer = var.consumer_role_name },
  )
}

data "aws_iam_policy_document" "this" {
  for_each = local.policy_roles

  # Adds the network interface statements when the module's functions run in a VPC.
  source_policy_documents = contains(keys(local.functions), each.key) ? data.aws_iam_policy_document.vpc_access[*].json : []

  dynamic "statement" {
    for_each = local.function_statements[each.key]

    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }

  # Logs and traces of the module's own functions; the caller's consumer has them from the caller's role already.
  dynamic "statement" {
    for_each = contains(keys(local.functions), each.key) ? [aws_cloudwatch_log_group.this[each.key].arn] : []

    content {
      sid       = "OwnLogGroup"
      actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      resources = ["${statement.value}:*"]
    }
  }

  # X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions: "*" is the only value
  # AWS accepts.
  dynamic "statement" {
    for_each = contains(keys(local.functions), each.key) ? [true] : []

    content {
      sid       = "Tracing"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    }
  }

  # Items of a table encrypted with a customer-managed key: the writer reads and writes them, the consumer reads
  # the table's stream and sends to an on-failure destination encrypted with the key, the redrive reads that
  # destination back (and the stream).
  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "CustomerManagedKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "this" {
  for_each = local.policy_roles

  name   = "${local.names[each.key]}-access"
  role   = each.value
  policy = data.aws_iam_policy_document.this[each.key].json

  lifecycle {
    precondition {
      # Checked on the consumer's policy alone, so that the message is shown once.
      condition     = each.key != "consumer" || (var.consumer_function_arn == null) == (var.consumer_role_name == null)
      error_message = "consumer_function_arn and consumer_role_name go together: set both (the caller's consumer and its execution role, which gets the stream and destination policy), or neither."
    }
  }
}

# The roles and their policies were separate resources per function before.
moved {
  from = aws_iam_role.writer
  to   = aws_iam_role.this["writer"]
}

moved {
  from = aws_iam_role.consumer
  to   = aws_iam_role.this["consumer"]
}

moved {
  from = aws_iam_role_policy.writer
  to   = aws_iam_role_policy.this["writer"]
}

moved {
  from = aws_iam_role_policy.consumer
  to   = aws_iam_role_policy.this["consumer"]
}

# VPC placement: Lambda creates, re-addresses and deletes the functions' network interfaces with their roles.
locals {
  vpc_enabled = length(var.subnet_ids) > 0
  # partition, region and account of this module's resources, for the EC2 ARNs below
  arn_parts         = split(":", local.table_arn)
  ec2_arn_prefix    = "arn:${local.arn_parts[1]}:ec2:${local.arn_parts[3]}:${local.arn_parts[4]}"
  network_interface = "${local.ec2_arn_prefix}:network-interface/*"
}

data "aws_iam_policy_document" "vpc_access" {
  count = local.vpc_enabled ? 1 : 0

  statement {
    sid     = "CreateNetworkInterfaces"
    actions = ["ec2:CreateNetworkInterface"]
    resources = concat(
      [local.network_interface],
      [for id in var.subnet_ids : "${local.ec2_arn_prefix}:subnet/${id}"],
      [for id in var.security_group_ids : "${local.ec2_arn_prefix}:security-group/${id}"],
    )
  }

  statement {
    sid       = "ManageNetworkInterfaces"
    actions   = ["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
    resources = [local.network_interface]
  }

  # ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets support no resource-level permissions: "*" is the only
  # value AWS accepts.
  statement {
    sid       = "DescribeNetworkInterfaces"
    actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
    resources = ["*"]
  }
}
