terraform {
  # 1.5: strcontains(); terraform_data needs 1.4. The tests (mock_provider) need 1.7 or later.
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.52 stopped overwriting source_code_hash with the deployed CodeSha256 on read, which lets the module use the
      # hash of the package inputs (known at plan) instead of the hash of a zip that is only built during apply.
      version = ">= 5.52.0, < 7.0.0"
    }
  }
}
