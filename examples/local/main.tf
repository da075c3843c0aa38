# The module applied to moto's server on this machine: no AWS account, no Docker.
# Start the server first (make up does it), then: terraform apply -var endpoint=http://127.0.0.1:<port>

provider "aws" {
  region     = "us-east-1"
  access_key = "testing"
  secret_key = "testing"

  skip_credentials_validation = true
  skip_metadata_api_check     = true
  # The account ID comes from the emulator's STS: without it, ARNs the provider builds itself (such as the API's
  # execution ARN in the writer's invoke permission) have an empty account and match nothing.
  skip_requesting_account_id = false
  # The emulator serves S3 on one host name: buckets go in the path, not in a subdomain.
  s3_use_path_style = true

  # One entry per service the module calls; DynamoDB Streams needs none (the provider reads the stream ARN through
  # DescribeTable on the dynamodb endpoint).
  endpoints {
    apigatewayv2 = var.endpoint
    cloudwatch   = var.endpoint
    dynamodb     = var.endpoint
    iam          = var.endpoint
    kms          = var.endpoint
    lambda       = var.endpoint
    logs         = var.endpoint
    s3           = var.endpoint
    sns          = var.endpoint
    sqs          = var.endpoint
    sts          = var.endpoint
  }
}

module "cdc" {
  source = "../.."

  name = var.name
  tags = { environment = "local" }

  # Packages must import on this x86_64 host, where the local stack runs the functions.
  architecture = "x86_64"

  authorization_type        = var.authorization_type
  consumer_record_handler   = var.consumer_record_handler
  consumer_extra_source_dir = var.consumer_extra_source_dir
  snap_start_enabled        = var.snap_start_enabled

  on_failure_destination_type = var.on_failure_destination_type

  # `terraform destroy` of a throwaway stack must not be refused.
  deletion_protection_enabled  = false
  failure_bucket_force_destroy = true
  log_level                    = "DEBUG"
}
