variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "cdc-complete"
}

variable "jwt_issuer" {
  description = "Issuer URL of the identity provider whose tokens the API accepts (for Cognito: https://cognito-idp.<region>.amazonaws.com/<pool id>)."
  type        = string
}

variable "jwt_audience" {
  description = "Accepted token audiences (for Cognito: the app client IDs)."
  type        = list(string)
}

variable "allowed_origins" {
  description = "Browser origins allowed to call the API (CORS)."
  type        = list(string)
  default     = ["https://shop.example.com"]
}
