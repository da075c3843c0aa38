provider "aws" {
  region = var.region

  default_tags {
    tags = { managed-by = "terraform" }
  }
}

# One customer-managed key for the tables, the dead-letter topic's subscribers and the log groups. CloudWatch Logs
# must be allowed to use it explicitly; IAM principals of this account are allowed through their own policies.
data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:a key policy's "*" resource is the key itself, and the account root is KMS's default key administrator
  #checkov:skip=CKV_AWS_111:a key policy's "*" resource is the key itself, and the account root is KMS's default key administrator
  #checkov:skip=CKV_AWS_356:a key policy's "*" resource is the key itself, and the account root is KMS's default key administrator
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"] # in a key policy, "*" means this key

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogsEncrypt"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"] # in a key policy, "*" means this key

    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:aws:logs:${var.region}:${data.aws_caller_identity.current.account_id}:log-group:*"]
    }
  }
}

# The module subscribes an encrypted queue to the failure topic (the redrive reads it): SNS encrypts what it delivers.
data "aws_iam_policy_document" "key_services" {
  #checkov:skip=CKV_AWS_109:a key policy's "*" resource is the key itself, granted to two AWS services for their use only
  #checkov:skip=CKV_AWS_111:a key policy's "*" resource is the key itself, granted to two AWS services for their use only
  #checkov:skip=CKV_AWS_356:a key policy's "*" resource is the key itself, granted to two AWS services for their use only
  source_policy_documents = [data.aws_iam_policy_document.key.json]

  statement {
    sid       = "SnsDeliversToEncryptedQueue"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"] # in a key policy, "*" means this key

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }
  }

  # The mapping's filter criteria are encrypted with the key (kms_key_arn with filter_patterns).
  statement {
    sid       = "LambdaReadsFilterCriteria"
    actions   = ["kms:Decrypt"]
    resources = ["*"] # in a key policy, "*" means this key

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "data" {
  description         = "${var.name}: tables, queue and logs"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.key_services.json
}

# Records that fail every retry go to a topic of the caller's instead of the module's own queue.
resource "aws_sns_topic" "failures" {
  name              = "${var.name}-failures"
  kms_master_key_id = aws_kms_key.data.arn
}

module "cdc" {
  source = "../.."

  name = var.name
  tags = { team = "catalog", environment = "production" }

  billing_mode                   = "PROVISIONED"
  read_capacity                  = 10
  write_capacity                 = 10
  stream_view_type               = "NEW_AND_OLD_IMAGES"
  point_in_time_recovery_enabled = true
  deletion_protection_enabled    = true
  ttl_attribute_name             = "expires_at"
  kms_key_arn                    = aws_kms_key.data.arn

  runtime               = "python3.13"
  architecture          = "arm64"
  writer_memory_size    = 512
  writer_timeout        = 10
  consumer_memory_size  = 256
  consumer_timeout      = 60
  log_level             = "INFO"
  log_retention_in_days = 90

  consumer_record_handler   = "catalog_events:handle"
  consumer_extra_source_dir = "${path.module}/consumer_extension"

  batch_size                         = 500
  maximum_batching_window_in_seconds = 5
  starting_position                  = "TRIM_HORIZON"
  maximum_retry_attempts             = 5
  maximum_record_age_in_seconds      = 3600
  bisect_batch_on_function_error     = true
  parallelization_factor             = 2
  report_batch_item_failures         = true
  filter_patterns                    = [jsonencode({ eventName = ["INSERT", "MODIFY", "REMOVE"] })]
  on_failure_destination_type        = "sns"
  on_failure_destination_arn         = aws_sns_topic.failures.arn
  create_on_failure_destination      = false # the topic's ARN is known only after apply

  authorization_type     = "JWT"
  jwt_issuer             = var.jwt_issuer
  jwt_audience           = var.jwt_audience
  throttling_burst_limit = 100
  throttling_rate_limit  = 200
  cors = {
    allow_origins = var.allowed_origins
    max_age       = 600
  }
}
