variable "name" {
  description = "Name prefix of every resource (the table is <name>-orders)."
  type        = string
  default     = "cdc-existing"
}

variable "deletion_protection_enabled" {
  description = "Refuse to delete the table until this is turned off; off by default so the example can be destroyed."
  type        = bool
  default     = false
}
