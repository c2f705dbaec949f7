# The CI identities: applied once, by hand, by an administrator, before the first
# deploy (README "CI roles"). Local state is fine: it holds no secret, and the stack
# rarely changes; keep it with the team's other bootstrap state.
terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0.0, < 7.0.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = "taskboard"
      ManagedBy = "terraform"
      Stack     = "ci-bootstrap"
    }
  }
}
