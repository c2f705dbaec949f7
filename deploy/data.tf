# ---------------------------------------------------------------------------
# MySQL: Multi-AZ RDS instance (default, cheaper) or Aurora MySQL cluster.
# Master password generated and stored by RDS in Secrets Manager
# (manage_master_user_password): it is never in variables or state.
# ---------------------------------------------------------------------------
resource "aws_db_subnet_group" "main" {
  name       = "${local.name}-db"
  subnet_ids = [for subnet in aws_subnet.private_data : subnet.id]

  tags = { Name = "${local.name}-db" }
}

resource "aws_db_parameter_group" "mysql" {
  count = local.is_aurora ? 0 : 1

  name_prefix = "${local.name}-mysql-"
  family      = "mysql8.0"

  parameter {
    name  = "require_secure_transport"
    value = var.db_require_tls ? "1" : "0"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_db_instance" "main" {
  count = local.is_aurora ? 0 : 1

  identifier     = "${local.name}-mysql"
  engine         = "mysql"
  engine_version = var.rds_engine_version
  instance_class = var.rds_instance_class

  db_name                       = var.db_name
  username                      = var.db_master_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = aws_kms_key.main.arn

  allocated_storage     = var.rds_allocated_storage
  max_allocated_storage = var.rds_max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.main.arn

  multi_az               = true
  db_subnet_group_name   = aws_db_subnet_group.main.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.mysql[0].name

  backup_retention_period   = var.db_backup_retention_days
  backup_window             = "02:00-03:00"
  maintenance_window        = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot     = true
  deletion_protection       = true
  skip_final_snapshot       = false
  final_snapshot_identifier = "${local.name}-mysql-final"

  auto_minor_version_upgrade          = true
  iam_database_authentication_enabled = true
  enabled_cloudwatch_logs_exports     = ["error", "slowquery"]

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.main.arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.rds_monitoring.arn
}

resource "aws_rds_cluster_parameter_group" "aurora" {
  count = local.is_aurora ? 1 : 0

  name_prefix = "${local.name}-aurora-"
  family      = "aurora-mysql8.0"

  parameter {
    name  = "require_secure_transport"
    value = var.db_require_tls ? "ON" : "OFF"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_rds_cluster" "main" {
  count = local.is_aurora ? 1 : 0

  cluster_identifier = "${local.name}-aurora"
  engine             = "aurora-mysql"
  engine_version     = var.aurora_engine_version

  database_name                 = var.db_name
  master_username               = var.db_master_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = aws_kms_key.main.arn

  storage_encrypted               = true
  kms_key_id                      = aws_kms_key.main.arn
  db_subnet_group_name            = aws_db_subnet_group.main.name
  vpc_security_group_ids          = [aws_security_group.db.id]
  db_cluster_parameter_group_name = aws_rds_cluster_parameter_group.aurora[0].name

  backup_retention_period   = var.db_backup_retention_days
  preferred_backup_window   = "02:00-03:00"
  copy_tags_to_snapshot     = true
  deletion_protection       = true
  skip_final_snapshot       = false
  final_snapshot_identifier = "${local.name}-aurora-final"

  iam_database_authentication_enabled = true
  enabled_cloudwatch_logs_exports     = ["audit", "error", "slowquery"]
  backtrack_window                    = 86400 # rewind up to 24 h after a bad migration
}

resource "aws_rds_cluster_instance" "main" {
  count = local.is_aurora ? var.aurora_instance_count : 0

  identifier           = "${local.name}-aurora-${count.index}"
  cluster_identifier   = aws_rds_cluster.main[0].id
  engine               = aws_rds_cluster.main[0].engine
  engine_version       = aws_rds_cluster.main[0].engine_version
  instance_class       = var.aurora_instance_class
  db_subnet_group_name = aws_db_subnet_group.main.name
  publicly_accessible  = false

  auto_minor_version_upgrade            = true
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.main.arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.rds_monitoring.arn
}

locals {
  db_secret_arn = local.is_aurora ? aws_rds_cluster.main[0].master_user_secret[0].secret_arn : aws_db_instance.main[0].master_user_secret[0].secret_arn

  # CloudWatch dimension of the database for the alarms.
  db_alarm_dimensions = local.is_aurora ? { DBClusterIdentifier = aws_rds_cluster.main[0].cluster_identifier } : { DBInstanceIdentifier = aws_db_instance.main[0].identifier }
}

# ---------------------------------------------------------------------------
# DynamoDB activity table
# ---------------------------------------------------------------------------
resource "aws_dynamodb_table" "activity" {
  name                        = var.activity_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "PK"
  range_key                   = "SK"
  deletion_protection_enabled = true

  attribute {
    name = "PK"
    type = "S"
  }

  attribute {
    name = "SK"
    type = "S"
  }

  attribute {
    name = "TaskPK"
    type = "S"
  }

  global_secondary_index {
    name            = "ByTask"
    hash_key        = "TaskPK"
    range_key       = "SK"
    projection_type = "ALL"
  }

  # Mail-idempotency items expire through ExpiresAt.
  ttl {
    attribute_name = "ExpiresAt"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.main.arn
  }
}

# ---------------------------------------------------------------------------
# ElastiCache Redis (subscription fan-out, shared rate limits)
# ---------------------------------------------------------------------------
resource "aws_elasticache_subnet_group" "main" {
  name       = "${local.name}-redis"
  subnet_ids = [for subnet in aws_subnet.private_data : subnet.id]
}

resource "aws_cloudwatch_log_group" "redis_slow" {
  name              = "/aws/elasticache/${local.name}/slow-log"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_elasticache_replication_group" "main" {
  replication_group_id = "${local.name}-redis"
  description          = "${local.name} subscriptions fan-out and rate limits"
  engine               = "redis"
  engine_version       = var.redis_engine_version
  node_type            = var.redis_node_type
  port                 = 6379
  num_cache_clusters   = var.redis_replicas

  automatic_failover_enabled = true
  multi_az_enabled           = true
  subnet_group_name          = aws_elasticache_subnet_group.main.name
  security_group_ids         = [aws_security_group.redis.id]

  at_rest_encryption_enabled = true
  kms_key_id                 = aws_kms_key.main.arn
  transit_encryption_enabled = true
  # The service reads the same token from the redis_url secret (secrets.tf).
  auth_token                 = random_password.redis_auth.result
  auth_token_update_strategy = "ROTATE"

  auto_minor_version_upgrade = true
  snapshot_retention_limit   = 7
  snapshot_window            = "01:00-02:00"
  maintenance_window         = "sun:04:30-sun:05:30"

  log_delivery_configuration {
    destination      = aws_cloudwatch_log_group.redis_slow.name
    destination_type = "cloudwatch-logs"
    log_format       = "json"
    log_type         = "slow-log"
  }
}
