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
  description             = "TASKBOARD_REDIS_URL: rediss://:<auth token>@<primary endpoint>:6379/0"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 30
}
