provider "aws" {
  region = var.region
}

module "cdc" {
  source = "../.."

  name = var.name
}
