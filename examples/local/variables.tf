variable "endpoint" {
  description = "URL of moto's server (or another AWS emulator) every AWS service is sent to."
  type        = string
  default     = "http://127.0.0.1:5000"
}

variable "name" {
  description = "Name prefix of the stack's resources."
  type        = string
  default     = "cdc-local"
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

variable "snap_start_enabled" {
  description = "Lambda SnapStart for the writer and the consumer (published versions behind the alias \"live\")."
  type        = bool
  default     = false
}

variable "on_failure_destination_type" {
  description = "Where the mapping sends batches that fail every retry: s3 (whole batches), sqs or sns (pointers)."
  type        = string
  default     = "s3"

  validation {
    condition     = contains(["s3", "sqs", "sns"], var.on_failure_destination_type)
    error_message = "on_failure_destination_type must be s3, sqs or sns."
  }
}
