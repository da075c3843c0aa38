# A root as a caller writes it for AWS: an ordinary provider block (region, default tags, a profile that does not
# exist on this machine) and the module with its defaults, arm64 included. `up --root` runs it unchanged.

provider "aws" {
  region  = "eu-west-1"
  profile = "production"

  default_tags {
    tags = { stack = "provider-block" }
  }
}

module "cdc" {
  source = "../../../.."

  name = var.name

  deletion_protection_enabled = false
}

variable "name" {
  description = "Name prefix of the stack's resources."
  type        = string
  default     = "cdc-provider-block"
}

output "api_endpoint" {
  description = "Invoke URL of the HTTP API."
  value       = module.cdc.api_endpoint
}

output "table_name" {
  description = "Name of the products table."
  value       = module.cdc.table_name
}

output "consumer_log_group_name" {
  description = "Log group of the consumer."
  value       = module.cdc.consumer_log_group_name
}
