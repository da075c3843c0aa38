# The module with every opt-in hardening that changes its IAM policies (customer-managed key, VPC placement, an
# SNS topic as on-failure destination), applied to the emulator so that tests/security reads those policies too.

variable "endpoint" {
  description = "URL of the emulator every AWS service is sent to."
  type        = string
}

variable "name" {
  description = "Name prefix of the stack's resources."
  type        = string
}

provider "aws" {
  region     = "us-east-1"
  access_key = "testing"
  secret_key = "testing"

  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = false

  endpoints {
    apigatewayv2 = var.endpoint
    cloudwatch   = var.endpoint
    dynamodb     = var.endpoint
    ec2          = var.endpoint
    iam          = var.endpoint
    kms          = var.endpoint
    lambda       = var.endpoint
    logs         = var.endpoint
    sns          = var.endpoint
    sqs          = var.endpoint
    sts          = var.endpoint
  }
}

resource "aws_kms_key" "data" {
  description         = "${var.name}: tables, topic, logs and environment"
  enable_key_rotation = true
}

resource "aws_vpc" "this" {
  cidr_block = "10.42.0.0/16"
}

resource "aws_subnet" "functions" {
  vpc_id     = aws_vpc.this.id
  cidr_block = "10.42.1.0/24"
}

resource "aws_security_group" "functions" {
  name   = "${var.name}-functions"
  vpc_id = aws_vpc.this.id
}

resource "aws_sns_topic" "failures" {
  name              = "${var.name}-failures"
  kms_master_key_id = aws_kms_key.data.arn
}

module "cdc" {
  source = "../../.."

  name         = var.name
  architecture = "x86_64"

  kms_key_arn                   = aws_kms_key.data.arn
  subnet_ids                    = [aws_subnet.functions.id]
  security_group_ids            = [aws_security_group.functions.id]
  on_failure_destination_type   = "sns"
  on_failure_destination_arn    = aws_sns_topic.failures.arn
  create_on_failure_destination = false
  deletion_protection_enabled   = false
}

output "kms_key_arn" {
  description = "The customer-managed key."
  value       = aws_kms_key.data.arn
}

output "subnet_ids" {
  description = "The functions' subnets."
  value       = [aws_subnet.functions.id]
}

output "security_group_ids" {
  description = "The functions' security groups."
  value       = [aws_security_group.functions.id]
}

output "module" {
  description = "Every output of the module."
  value       = module.cdc
}
