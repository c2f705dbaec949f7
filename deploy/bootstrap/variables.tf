variable "region" {
  description = "AWS region of the deployment."
  type        = string
}

variable "github_repository" {
  description = "owner/name of the repository whose workflows deploy."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "state_bucket" {
  description = "S3 bucket of the main stack's Terraform state."
  type        = string
}

variable "state_key" {
  description = "Key of the main stack's state object in the bucket."
  type        = string
}

variable "ecr_repository_name" {
  description = "Name of the service image's ECR repository (created by the main stack)."
  type        = string
  default     = "taskboard"
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider (false when the account already has one)."
  type        = bool
  default     = true
}
