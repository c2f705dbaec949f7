# Secrets are created EMPTY: their values are put with the AWS CLI
# (README.md, "Secrets"), so no secret value is in variables, state, outputs
# or the image. The database credentials live in the RDS-managed secret
# (manage_master_user_password in data.tf).

resource "aws_secretsmanager_secret" "jwt" {
  name                    = "${var.project}/${var.environment}/jwt-secret"
  description             = "TASKBOARD_JWT_SECRET (>= 32 random bytes). Put with aws secretsmanager put-secret-value."
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 30
}

# The key being retired during a JWT key rotation (deploy/RUNBOOK.md): it verifies
# tokens, never signs. `none` between rotations (a secret value cannot be empty,
# and ECS refuses to start a task whose secret has no value).
resource "aws_secretsmanager_secret" "jwt_previous" {
  name                    = "${var.project}/${var.environment}/jwt-previous-secret"
  description             = "TASKBOARD_JWT_PREVIOUS_SECRET: the retiring JWT key during a rotation, else none."
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 30
}

resource "aws_secretsmanager_secret" "redis_url" {
  name                    = "${var.project}/${var.environment}/redis-url"
  description             = "TASKBOARD_REDIS_URL: rediss://:<auth token>@<primary endpoint>:6379/0 (written by Terraform)"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 30
}

# The Redis AUTH token: generated here and given to the replication group
# (data.tf) and to this secret in the same apply, so there is no manual step.
# It is in the (KMS-encrypted, access-restricted) state: the group's write-only
# `auth_token_wo` is not in a provider release this configuration could pin
# (deploy/README.md, "Not verified here"). Bump redis_auth_version to rotate.
resource "random_password" "redis_auth" {
  length  = 64
  special = false # AUTH tokens refuse some punctuation; 64 alphanumerics are plenty

  keepers = {
    version = var.redis_auth_version
  }
}

# Written write-only: the URL is not a second copy of the token in state.
resource "aws_secretsmanager_secret_version" "redis_url" {
  secret_id                = aws_secretsmanager_secret.redis_url.id
  secret_string_wo         = "rediss://:${random_password.redis_auth.result}@${aws_elasticache_replication_group.main.primary_endpoint_address}:6379/0"
  secret_string_wo_version = var.redis_auth_version
}

# The password of the least-privilege MySQL user the service connects as
# (`taskboard migrate` creates the user and sets it: models/app_user.py). The
# value is ephemeral and written write-only: it is never in the plan or state.
# Bump app_db_credentials_version to rotate; the next migrate sets the new one.
ephemeral "random_password" "app_db" {
  length  = 40
  special = false
}

resource "aws_secretsmanager_secret" "app_db_password" {
  name                    = "${var.project}/${var.environment}/app-db-password"
  description             = "Password of the MySQL user ${var.app_db_username} (SELECT/INSERT/UPDATE/DELETE only)"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 30
}

resource "aws_secretsmanager_secret_version" "app_db_password" {
  secret_id                = aws_secretsmanager_secret.app_db_password.id
  secret_string_wo         = ephemeral.random_password.app_db.result
  secret_string_wo_version = var.app_db_credentials_version
}
