terraform {
  # 1.11+ for S3-native state locking (use_lockfile) and write-only arguments.
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0.0, < 7.0.0"
    }
    # Generated credentials: the Redis AUTH token and the app database user's
    # password (an ephemeral random_password needs 3.7+).
    random = {
      source  = "hashicorp/random"
      version = ">= 3.7.0, < 4.0.0"
    }
  }

  # Partial configuration: bucket, key and region are supplied at init time,
  # e.g. terraform init -backend-config=backend.hcl (see README.md).
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}
