# The module in a real AWS account for the end-to-end suite (`make test-aws`): the same pass-through variables
# as examples/local, the provider from the caller's usual credentials and region. Applied under a unique name,
# destroyed by the suite when it ends.

provider "aws" {
  region = var.region
}

module "cdc" {
  source = "../../.."

  name = var.name
  tags = { environment = "e2e" }

  authorization_type        = var.authorization_type
  consumer_record_handler   = var.consumer_record_handler
  consumer_extra_source_dir = var.consumer_extra_source_dir

  # A throwaway stack: `terraform destroy` must not be refused.
  deletion_protection_enabled  = false
  failure_bucket_force_destroy = true
}
