# A stack that owns its table and attaches the module's change-data-capture side to it: consumer, event source
# mapping and dead-letter queue, with no HTTP API and no writer. The AWS provider is configured by the caller's
# environment (AWS_REGION, credentials) or by an override file.

# The stack's own table, as it would be without the module; the stream is what the module needs of it.
resource "aws_dynamodb_table" "orders" {
  #checkov:skip=CKV_AWS_119:the AWS-managed key keeps the example self-contained; examples/complete shows a customer-managed key
  name                        = "${var.name}-orders"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "PK"
  range_key                   = "SK"
  stream_enabled              = true
  stream_view_type            = "NEW_AND_OLD_IMAGES"
  deletion_protection_enabled = var.deletion_protection_enabled

  attribute {
    name = "PK"
    type = "S"
  }

  attribute {
    name = "SK"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}

module "cdc" {
  source = "../.."

  name = var.name

  create_api          = false
  existing_table_name = aws_dynamodb_table.orders.name
  # What the consumer logs of each change; the table's stream holds it.
  stream_view_type = "NEW_AND_OLD_IMAGES"
}
