# The products table (string keys PK/SK, stream on) and the Powertools idempotency persistence table.

resource "aws_dynamodb_table" "products" {
  #checkov:skip=CKV2_AWS_16:on-demand (the default) scales by itself; PROVISIONED capacity and its auto scaling are the caller's
  name                        = local.names.table
  billing_mode                = var.billing_mode
  read_capacity               = var.billing_mode == "PROVISIONED" ? var.read_capacity : null
  write_capacity              = var.billing_mode == "PROVISIONED" ? var.write_capacity : null
  hash_key                    = "PK"
  range_key                   = "SK"
  stream_enabled              = true
  stream_view_type            = var.stream_view_type
  deletion_protection_enabled = var.deletion_protection_enabled
  tags                        = local.tags

  attribute {
    name = "PK"
    type = "S"
  }

  attribute {
    name = "SK"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery_enabled
  }

  # enabled = true with no key uses the AWS-managed aws/dynamodb key; a key ARN switches to the customer's key.
  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  dynamic "ttl" {
    for_each = var.ttl_attribute_name == null ? [] : [var.ttl_attribute_name]

    content {
      attribute_name = ttl.value
      enabled        = true
    }
  }
}

# Powertools' DynamoDBPersistenceLayer layout: partition key "id", expiry in "expiration" (epoch seconds).
resource "aws_dynamodb_table" "idempotency" {
  count = var.idempotency_enabled ? 1 : 0

  name                        = local.names.idempotency_table
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "id"
  deletion_protection_enabled = var.deletion_protection_enabled
  tags                        = local.tags

  attribute {
    name = "id"
    type = "S"
  }

  ttl {
    attribute_name = "expiration"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery_enabled
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
}
