# Where the event source mapping sends a batch that fails every retry or ages out: an S3 bucket (the default; it
# receives the whole invocation record, batch included), an SQS queue or an SNS topic (both receive a pointer to
# the batch's shard and sequence range only). The module creates the destination unless the caller names one.

locals {
  destination_type = var.on_failure_destination_type
  # count must be known at plan: create_on_failure_destination = false says "the ARN I pass is only known later".
  # A conditional, not &&: with create_on_failure_destination = false the count stays known at plan even when the
  # caller's ARN is not (Terraform's && does not short-circuit an unknown operand).
  create_destination = var.create_on_failure_destination ? var.on_failure_destination_arn == null : false

  on_failure_destination_arn = var.on_failure_destination_arn != null ? var.on_failure_destination_arn : one(concat(
    aws_s3_bucket.failures[*].arn,
    aws_sqs_queue.dead_letter[*].arn,
    aws_sns_topic.failures[*].arn,
  ))

  # The bucket's name, whether the module made it or the caller passed its ARN (arn:<partition>:s3:::<name>).
  failure_bucket_name = local.destination_type != "s3" ? null : (
    var.on_failure_destination_arn != null ? element(split(":::", var.on_failure_destination_arn), 1) : one(aws_s3_bucket.failures[*].bucket)
  )

  # The queue the redrive reads pointers from: the SQS destination itself, or the queue subscribed to the topic.
  # A caller's queue has no URL attribute here; SQS URLs follow from the ARN's region, account and name.
  passed_queue_arn_parts = local.destination_type == "sqs" && var.on_failure_destination_arn != null ? split(":", var.on_failure_destination_arn) : null
  failure_queue_url = (
    local.destination_type == "sns" ? one(aws_sqs_queue.failure_pointers[*].url) :
    local.destination_type == "sqs" ? (
      local.passed_queue_arn_parts != null ? format(
        "https://sqs.%s.%s/%s/%s",
        local.passed_queue_arn_parts[3],
        local.passed_queue_arn_parts[1] == "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com",
        local.passed_queue_arn_parts[4],
        local.passed_queue_arn_parts[5],
      ) : one(aws_sqs_queue.dead_letter[*].url)
    ) : null
  )
  failure_queue_arn = (
    local.destination_type == "sns" ? one(aws_sqs_queue.failure_pointers[*].arn) :
    local.destination_type == "sqs" ? local.on_failure_destination_arn : null
  )

  # Noncurrent versions are what a delete (the redrive's move to redriven/, or an operator's mistake) leaves behind:
  # kept long enough to notice and undo a wrong delete, not so long that every replayed batch is stored twice.
  failure_bucket_noncurrent_days = 30
}

# ---------------------------------------------------------------------------------------------------------------------
# S3 (default): the whole failed batch, kept failed_batch_retention_days
# ---------------------------------------------------------------------------------------------------------------------

resource "aws_s3_bucket" "failures" {
  #checkov:skip=CKV_AWS_144:cross-region replication needs a second bucket and role in another region; failed batches are operational data with a retention of days, not a disaster-recovery copy
  #checkov:skip=CKV2_AWS_62:event notifications are left to the caller (the redrive is run by an operator, and the failed_batches alarm reports new objects)
  #checkov:skip=CKV_AWS_18:access logging is opt-in through failure_bucket_access_log (it needs a log bucket of the caller's)
  #checkov:skip=CKV_AWS_145:SSE-KMS with kms_key_arn when set; otherwise SSE-S3, since an AWS-managed aws/s3 key adds cost and no control
  count = local.create_destination && local.destination_type == "s3" ? 1 : 0

  # S3 names are global: the caller's exact name, or one derived from var.name with a unique suffix S3 accepts.
  bucket        = var.failure_bucket_name
  bucket_prefix = var.failure_bucket_name == null ? "${substr(lower(var.name), 0, 27)}-failures-" : null
  force_destroy = var.failure_bucket_force_destroy
  tags          = local.tags
}

resource "aws_s3_bucket_public_access_block" "failures" {
  count = length(aws_s3_bucket.failures)

  bucket                  = aws_s3_bucket.failures[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# ACLs off: every object, Lambda's included, belongs to the bucket owner and access is decided by IAM alone.
resource "aws_s3_bucket_ownership_controls" "failures" {
  count = length(aws_s3_bucket.failures)

  bucket = aws_s3_bucket.failures[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "failures" {
  count = length(aws_s3_bucket.failures)

  bucket = aws_s3_bucket.failures[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    # One data key per bucket instead of one KMS request per object.
    bucket_key_enabled = var.kms_key_arn != null
  }
}

# Versioning on: a failed batch in S3 is often the only copy of those changes once the stream's 24 h have passed,
# so a wrong delete must be recoverable (noncurrent versions expire below).
resource "aws_s3_bucket_versioning" "failures" {
  count = length(aws_s3_bucket.failures)

  bucket = aws_s3_bucket.failures[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "failures" {
  count = length(aws_s3_bucket.failures)

  bucket = aws_s3_bucket.failures[0].id

  # Where Lambda writes: aws/lambda/<mapping UUID>/<shard>/YYYY/MM/DD/<time>-<uuid>.
  rule {
    id     = "expire-failed-batches"
    status = "Enabled"

    filter {
      prefix = "aws/lambda/"
    }

    expiration {
      days = var.failed_batch_retention_days
    }
  }

  # Batches the redrive replayed: kept as a record of what was replayed, not needed for anything else.
  rule {
    id     = "expire-redriven-batches"
    status = "Enabled"

    filter {
      prefix = "redriven/"
    }

    expiration {
      days = var.redriven_batch_retention_days
    }
  }

  rule {
    id     = "clean-up"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = local.failure_bucket_noncurrent_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }

    expiration {
      expired_object_delete_marker = true
    }
  }

  # A lifecycle rule on a versioned bucket acts on versions; configuring it first would apply to the unversioned
  # objects only.
  depends_on = [aws_s3_bucket_versioning.failures]
}

data "aws_iam_policy_document" "failure_bucket" {
  count = length(aws_s3_bucket.failures)

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.failures[0].arn, "${aws_s3_bucket.failures[0].arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "failures" {
  count = length(aws_s3_bucket.failures)

  bucket = aws_s3_bucket.failures[0].id
  policy = data.aws_iam_policy_document.failure_bucket[0].json

  # S3 refuses a policy while the public access block is being written: one after the other.
  depends_on = [aws_s3_bucket_public_access_block.failures]
}

resource "aws_s3_bucket_logging" "failures" {
  count = length(aws_s3_bucket.failures) > 0 && var.failure_bucket_access_log != null ? 1 : 0

  bucket        = aws_s3_bucket.failures[0].id
  target_bucket = var.failure_bucket_access_log.bucket
  target_prefix = var.failure_bucket_access_log.prefix
}

# ---------------------------------------------------------------------------------------------------------------------
# SQS: a pointer (shard and sequence range) per failed batch, kept 14 days
# ---------------------------------------------------------------------------------------------------------------------

resource "aws_sqs_queue" "dead_letter" {
  count = local.create_destination && local.destination_type == "sqs" ? 1 : 0

  name                      = local.names.dead_letter_queue
  message_retention_seconds = 1209600 # 14 days, the SQS maximum
  # SQS-managed encryption unless a customer-managed key is given; the two settings exclude each other.
  sqs_managed_sse_enabled = var.kms_key_arn == null ? true : null
  kms_master_key_id       = var.kms_key_arn
  tags                    = local.tags
}

# ---------------------------------------------------------------------------------------------------------------------
# SNS: a pointer per failed batch to every subscriber, and a queue subscribed to it that the redrive reads
# ---------------------------------------------------------------------------------------------------------------------

resource "aws_sns_topic" "failures" {
  count = local.create_destination && local.destination_type == "sns" ? 1 : 0

  name = local.names.failure_topic
  # The AWS-managed SNS key unless a customer-managed key is given (its policy must allow sns.amazonaws.com).
  kms_master_key_id = coalesce(var.kms_key_arn, "alias/aws/sns")
  tags              = local.tags
}

resource "aws_sqs_queue" "failure_pointers" {
  count = local.destination_type == "sns" ? 1 : 0

  name                      = local.names.failure_pointers
  message_retention_seconds = 1209600 # 14 days, the SQS maximum
  sqs_managed_sse_enabled   = var.kms_key_arn == null ? true : null
  kms_master_key_id         = var.kms_key_arn
  tags                      = local.tags
}

data "aws_iam_policy_document" "failure_pointers" {
  count = length(aws_sqs_queue.failure_pointers)

  statement {
    sid       = "FromFailureTopicOnly"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.failure_pointers[0].arn]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.on_failure_destination_arn]
    }
  }
}

resource "aws_sqs_queue_policy" "failure_pointers" {
  count = length(aws_sqs_queue.failure_pointers)

  queue_url = aws_sqs_queue.failure_pointers[0].id
  policy    = data.aws_iam_policy_document.failure_pointers[0].json
}

resource "aws_sns_topic_subscription" "failure_pointers" {
  count = length(aws_sqs_queue.failure_pointers)

  topic_arn = local.on_failure_destination_arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.failure_pointers[0].arn
  # The queue receives Lambda's JSON document itself, not wrapped in an SNS envelope.
  raw_message_delivery = true

  # A subscription before the queue policy would lose the first messages to access denied.
  depends_on = [aws_sqs_queue_policy.failure_pointers]
}
