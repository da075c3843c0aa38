# The products table (string keys PK/SK, stream on), or the caller's existing table, and the Powertools idempotency
# persistence table.

# Without count before: Terraform moves the existing table to index 0 by itself.
resource "aws_dynamodb_table" "products" {
  #checkov:skip=CKV2_AWS_16:on-demand (the default) scales by itself; PROVISIONED capacity and its auto scaling are the caller's
  count = local.create_table ? 1 : 0

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
  count = local.create_idempotency_table ? 1 : 0

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

locals {
  # Stream view types whose records hold what the consumer is configured for (var.stream_view_type).
  sufficient_stream_view_types = {
    KEYS_ONLY          = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]
    NEW_IMAGE          = ["NEW_IMAGE", "NEW_AND_OLD_IMAGES"]
    OLD_IMAGE          = ["OLD_IMAGE", "NEW_AND_OLD_IMAGES"]
    NEW_AND_OLD_IMAGES = ["NEW_AND_OLD_IMAGES"]
  }
  enable_stream_hint = "turn it on in the table's own configuration (aws_dynamodb_table: stream_enabled = true, stream_view_type = \"${var.stream_view_type}\") or with: aws dynamodb update-table --table-name ${coalesce(var.existing_table_name, "-")} --stream-specification StreamEnabled=true,StreamViewType=${var.stream_view_type}"
}

# The caller's table, when existing_table_name is set. The checks below fail the plan (or, when the table is created
# in the same configuration, the apply before anything reads its stream) instead of leaving a mapping that never
# receives records or a writer that cannot store any.
data "aws_dynamodb_table" "existing" {
  count = local.create_table ? 0 : 1

  name = var.existing_table_name

  lifecycle {
    postcondition {
      condition     = self.stream_enabled && self.stream_arn != null && self.stream_arn != ""
      error_message = "Table ${var.existing_table_name} has no stream for the consumer to read: ${local.enable_stream_hint}."
    }

    postcondition {
      # A table whose stream is off reports no view type; the check above names that case.
      condition     = !self.stream_enabled || contains(local.sufficient_stream_view_types[var.stream_view_type], coalesce(self.stream_view_type, "NONE"))
      error_message = "The stream of table ${var.existing_table_name} holds ${coalesce(self.stream_view_type, "nothing")} records, and the consumer needs ${join(" or ", local.sufficient_stream_view_types[var.stream_view_type])} (stream_view_type = \"${var.stream_view_type}\"). A stream's view type cannot change in place: turn the stream off, then ${local.enable_stream_hint}; or set stream_view_type to what the table's stream holds."
    }

    postcondition {
      # The writer stores products under string keys PK and SK; any other key schema would reject every write.
      condition = !local.create_writer || (
        self.hash_key == "PK" && self.range_key == "SK" &&
        toset([for attribute in self.attribute : attribute if contains(["PK", "SK"], attribute.name)]) == toset([{ name = "PK", type = "S" }, { name = "SK", type = "S" }])
      )
      error_message = "The writer (create_api = true) stores products under a string hash key PK and a string range key SK, and table ${var.existing_table_name} has the keys ${join(" and ", [for attribute in self.attribute : "${attribute.name} (${attribute.type == "S" ? "string" : attribute.type == "N" ? "number" : "binary"}, ${attribute.name == self.hash_key ? "hash" : "range"})" if contains(compact([self.hash_key, self.range_key]), attribute.name)])}. Use a table with that key schema, or set create_api = false to attach only the consumer."
    }
  }
}
