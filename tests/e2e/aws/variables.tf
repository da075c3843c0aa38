variable "region" {
  description = "AWS region to deploy the test stack to."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name prefix of the stack's resources (unique per test run)."
  type        = string
}

variable "authorization_type" {
  description = "Route authorization of the API: NONE, AWS_IAM or JWT."
  type        = string
  default     = "AWS_IAM"
}

variable "consumer_record_handler" {
  description = "Optional \"module:function\" the consumer calls for each record (RECORD_HANDLER)."
  type        = string
  default     = null
}

variable "consumer_extra_source_dir" {
  description = "Optional directory added at the root of the consumer's package (holds the consumer_record_handler module)."
  type        = string
  default     = null
}
