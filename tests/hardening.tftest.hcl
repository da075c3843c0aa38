# Opt-in hardening that security scanners ask for (customer-managed key, VPC placement, code signing, reserved
# concurrency): each run turns one on and asserts it reaches the resources and the roles, and nothing else changes.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name = "cdc-hard"
}

run "off_by_default" {
  command = plan

  assert {
    condition = alltrue([for f in aws_lambda_function.this :
      length(f.vpc_config) == 0 && f.code_signing_config_arn == null && f.kms_key_arn == null && f.reserved_concurrent_executions == null
    ])
    error_message = "Without the hardening variables the functions run outside a VPC, unsigned, with AWS-managed keys and unreserved."
  }

  assert {
    condition     = length(data.aws_iam_policy_document.vpc_access) == 0 && length(data.aws_iam_policy_document.this["writer"].source_policy_documents) == 0 && length(data.aws_iam_policy_document.this["consumer"].source_policy_documents) == 0
    error_message = "Without VPC placement the roles get no EC2 permission."
  }
}

run "customer_managed_key_everywhere" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef"
  }

  assert {
    condition     = aws_lambda_function.this["writer"].kms_key_arn == var.kms_key_arn && aws_lambda_function.this["consumer"].kms_key_arn == var.kms_key_arn
    error_message = "Both functions' environment variables must be encrypted with the given key."
  }

  assert {
    condition = alltrue([
      aws_dynamodb_table.products[0].server_side_encryption[0].kms_key_arn == var.kms_key_arn,
      aws_dynamodb_table.idempotency[0].server_side_encryption[0].kms_key_arn == var.kms_key_arn,
      one(aws_s3_bucket_server_side_encryption_configuration.failures[0].rule).apply_server_side_encryption_by_default[0].kms_master_key_id == var.kms_key_arn,
      aws_cloudwatch_log_group.this["redrive"].kms_key_id == var.kms_key_arn,
      aws_lambda_function.this["redrive"].kms_key_arn == var.kms_key_arn,
      aws_cloudwatch_log_group.this["writer"].kms_key_id == var.kms_key_arn,
      aws_cloudwatch_log_group.this["consumer"].kms_key_id == var.kms_key_arn,
      aws_cloudwatch_log_group.api_access[0].kms_key_id == var.kms_key_arn,
    ])
    error_message = "Tables, failure bucket, log groups and the redrive's environment must be encrypted with the given (multi-Region) key."
  }
}

run "vpc_placement" {
  command = plan

  variables {
    subnet_ids         = ["subnet-0a1b2c3d4e5f60718", "subnet-1a2b3c4d"]
    security_group_ids = ["sg-0123456789abcdef0"]
  }

  assert {
    condition = alltrue([for f in aws_lambda_function.this :
      length(f.vpc_config) == 1 && f.vpc_config[0].subnet_ids == toset(var.subnet_ids) && f.vpc_config[0].security_group_ids == toset(var.security_group_ids)
    ])
    error_message = "Both functions must be placed in the given subnets with the given security groups."
  }

  assert {
    condition = { for s in data.aws_iam_policy_document.vpc_access[0].statement : s.sid => { actions = toset(s.actions), resources = toset(s.resources) } } == {
      CreateNetworkInterfaces = {
        actions = toset(["ec2:CreateNetworkInterface"])
        resources = toset([
          "arn:aws:ec2:us-east-1:123456789012:network-interface/*",
          "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0a1b2c3d4e5f60718",
          "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-1a2b3c4d",
          "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0",
        ])
      }
      ManageNetworkInterfaces = {
        actions   = toset(["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"])
        resources = toset(["arn:aws:ec2:us-east-1:123456789012:network-interface/*"])
      }
      DescribeNetworkInterfaces = {
        actions   = toset(["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"])
        resources = toset(["*"])
      }
    }
    error_message = "Network interfaces may be created only in the given subnets and security groups, and managed only in this account and region; only the describe actions take \"*\"."
  }

  assert {
    condition = alltrue([for doc in data.aws_iam_policy_document.this :
      doc.source_policy_documents == tolist([data.aws_iam_policy_document.vpc_access[0].json])
    ])
    error_message = "Both roles' policies must include the network interface statements."
  }
}

run "code_signing" {
  command = plan

  variables {
    code_signing_config_arn = "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0a1b2c3d4e5f60718"
  }

  assert {
    condition     = aws_lambda_function.this["writer"].code_signing_config_arn == var.code_signing_config_arn && aws_lambda_function.this["consumer"].code_signing_config_arn == var.code_signing_config_arn
    error_message = "Both functions must be deployed with the given code signing configuration."
  }
}

run "reserved_concurrency" {
  command = plan

  variables {
    writer_reserved_concurrent_executions   = 25
    consumer_reserved_concurrent_executions = 5
  }

  assert {
    condition     = aws_lambda_function.this["writer"].reserved_concurrent_executions == 25 && aws_lambda_function.this["consumer"].reserved_concurrent_executions == 5
    error_message = "Each function must get its own reserved concurrency."
  }
}
