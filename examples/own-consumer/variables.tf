variable "name" {
  description = "Name prefix of every resource (the stack's consumer is <name>-own-consumer)."
  type        = string
  default     = "cdc-own-consumer"
}
