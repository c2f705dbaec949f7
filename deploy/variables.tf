# ---------------------------------------------------------------------------
# Environment
# ---------------------------------------------------------------------------
variable "project" {
  description = "Short project name, used as a prefix for resource names."
  type        = string
  default     = "taskboard"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project))
    error_message = "project must be 2-21 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (e.g. staging, production); part of every resource name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.environment))
    error_message = "environment must be 2-16 lowercase letters, digits or dashes."
  }
}

variable "region" {
  description = "AWS region of the stack (CloudFront certificates and WAF are always created in us-east-1)."
  type        = string
}

variable "extra_tags" {
  description = "Extra tags applied to every resource through the provider's default_tags."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------
variable "vpc_cidr" {
  description = "CIDR block of the VPC; /16 recommended (subnets are /24 slices of it)."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr))
    error_message = "vpc_cidr must be a valid IPv4 CIDR block."
  }
}

variable "availability_zones" {
  description = "Availability zones to spread over (at least two). One public, one private-app and one private-data subnet and one NAT gateway per zone."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 2 && length(var.availability_zones) == length(distinct(var.availability_zones))
    error_message = "Give at least two distinct availability zones."
  }
}

variable "flow_log_traffic_type" {
  description = "Which traffic VPC flow logs capture: ACCEPT, REJECT or ALL."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ACCEPT", "REJECT", "ALL"], var.flow_log_traffic_type)
    error_message = "flow_log_traffic_type must be ACCEPT, REJECT or ALL."
  }
}

# ---------------------------------------------------------------------------
# DNS and edge
# ---------------------------------------------------------------------------
variable "route53_zone_name" {
  description = "Existing public Route53 hosted zone that holds the records (e.g. example.com)."
  type        = string
}

variable "app_domain_name" {
  description = "Host name of the web client and websocket endpoint (CloudFront), inside route53_zone_name. api.<this> serves HTTP GraphQL through API Gateway."
  type        = string
}

variable "cloudfront_price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_All", "PriceClass_200", "PriceClass_100"], var.cloudfront_price_class)
    error_message = "cloudfront_price_class must be PriceClass_All, PriceClass_200 or PriceClass_100."
  }
}

variable "api_throttle_rate_limit" {
  description = "API Gateway steady-state request rate limit (requests per second) for every route."
  type        = number
  default     = 200

  validation {
    condition     = var.api_throttle_rate_limit > 0
    error_message = "api_throttle_rate_limit must be positive."
  }
}

variable "api_throttle_burst_limit" {
  description = "API Gateway burst limit for every route."
  type        = number
  default     = 400

  validation {
    condition     = var.api_throttle_burst_limit > 0
    error_message = "api_throttle_burst_limit must be positive."
  }
}

variable "cors_allowed_origins" {
  description = "Origins allowed to call the HTTP API from a browser. Defaults to https://<app_domain_name>."
  type        = list(string)
  default     = []
}

variable "waf_rate_limit_per_5min" {
  description = "Requests per client IP per 5 minutes before the CloudFront WAF blocks it (covers the websocket path, which API Gateway does not throttle)."
  type        = number
  default     = 2000

  validation {
    condition     = var.waf_rate_limit_per_5min >= 100
    error_message = "waf_rate_limit_per_5min must be at least 100 (WAF minimum)."
  }
}

# ---------------------------------------------------------------------------
# Compute
# ---------------------------------------------------------------------------
variable "image_tag" {
  description = "Tag of the service image in the ECR repository (the deploy workflow passes the git SHA). Tags are immutable."
  type        = string

  validation {
    condition     = var.image_tag != "latest" && can(regex("^[A-Za-z0-9_.-]{1,128}$", var.image_tag))
    error_message = "image_tag must be a concrete, immutable tag (not 'latest')."
  }
}

variable "instance_type" {
  description = "EC2 instance type of the ECS container instances."
  type        = string
  default     = "t3.medium"
}

variable "asg_min_size" {
  description = "Minimum number of ECS container instances."
  type        = number
  default     = 2
}

variable "asg_max_size" {
  description = "Maximum number of ECS container instances."
  type        = number
  default     = 6

  validation {
    condition     = var.asg_max_size >= 2
    error_message = "asg_max_size must be at least 2 so a rolling deployment has room."
  }
}

variable "task_cpu" {
  description = "CPU units reserved for one service task."
  type        = number
  default     = 512
}

variable "task_memory" {
  description = "Memory (MiB) reserved for one service task."
  type        = number
  default     = 1024
}

variable "uvicorn_workers" {
  description = "Worker processes per task (taskboard serve --workers)."
  type        = number
  default     = 2

  validation {
    condition     = var.uvicorn_workers >= 1 && var.uvicorn_workers <= 16
    error_message = "uvicorn_workers must be between 1 and 16."
  }
}

variable "service_min_tasks" {
  description = "Minimum number of service tasks (Application Auto Scaling)."
  type        = number
  default     = 2

  validation {
    condition     = var.service_min_tasks >= 2
    error_message = "Run at least two tasks so one AZ failure keeps the service up."
  }
}

variable "service_max_tasks" {
  description = "Maximum number of service tasks (Application Auto Scaling)."
  type        = number
  default     = 10
}

variable "service_cpu_target" {
  description = "Target average CPU utilisation (%) for service target-tracking scaling."
  type        = number
  default     = 60

  validation {
    condition     = var.service_cpu_target >= 10 && var.service_cpu_target <= 90
    error_message = "service_cpu_target must be between 10 and 90."
  }
}

variable "alb_deletion_protection" {
  description = "Deletion protection on the internal ALB."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------
variable "database_engine" {
  description = "rds-mysql: one Multi-AZ RDS MySQL instance (the cheaper default); aurora-mysql: an Aurora MySQL cluster with aurora_instance_count instances."
  type        = string
  default     = "rds-mysql"

  validation {
    condition     = contains(["rds-mysql", "aurora-mysql"], var.database_engine)
    error_message = "database_engine must be rds-mysql or aurora-mysql."
  }
}

variable "db_name" {
  description = "Name of the application database."
  type        = string
  default     = "taskboard"
}

variable "db_master_username" {
  description = "Master user name; its password is generated and kept by RDS in Secrets Manager (manage_master_user_password)."
  type        = string
  default     = "taskboard_admin"
}

variable "rds_engine_version" {
  description = "MySQL engine version for rds-mysql."
  type        = string
  default     = "8.0"
}

variable "rds_instance_class" {
  description = "Instance class for rds-mysql."
  type        = string
  default     = "db.t4g.medium"
}

variable "rds_allocated_storage" {
  description = "Initial storage (GiB) for rds-mysql."
  type        = number
  default     = 50
}

variable "rds_max_allocated_storage" {
  description = "Storage autoscaling ceiling (GiB) for rds-mysql."
  type        = number
  default     = 500
}

variable "aurora_engine_version" {
  description = "Aurora MySQL engine version for aurora-mysql."
  type        = string
  default     = "8.0.mysql_aurora.3.08.0"
}

variable "aurora_instance_class" {
  description = "Instance class of the Aurora instances."
  type        = string
  default     = "db.t4g.medium"
}

variable "aurora_instance_count" {
  description = "Number of Aurora instances (writer + readers); at least 2 for Multi-AZ failover."
  type        = number
  default     = 2

  validation {
    condition     = var.aurora_instance_count >= 2
    error_message = "aurora_instance_count must be at least 2."
  }
}

variable "db_backup_retention_days" {
  description = "Automated backup retention (days)."
  type        = number
  default     = 14

  validation {
    condition     = var.db_backup_retention_days >= 7 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be between 7 and 35."
  }
}

variable "db_require_tls" {
  description = "Set require_secure_transport on the database. The service connects with TLS, verifying the RDS CA bundle the image carries (TASKBOARD_DATABASE_TLS=require)."
  type        = bool
  default     = true
}

variable "app_db_username" {
  description = "MySQL user the service connects as; `taskboard migrate` (as the master user) creates it with SELECT, INSERT, UPDATE, DELETE on the schema only."
  type        = string
  default     = "taskboard_app"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,32}$", var.app_db_username))
    error_message = "app_db_username: letters, digits and _ only, at most 32."
  }
}

variable "app_db_credentials_version" {
  description = "Bump to generate a new password for the app database user (the next migrate sets it; then roll the service)."
  type        = number
  default     = 1
}

variable "ses_bounce_rate_alarm" {
  description = "Alarm when the SES account's Reputation.BounceRate reaches this fraction (SES reviews at 0.05)."
  type        = number
  default     = 0.04
}

variable "ses_complaint_rate_alarm" {
  description = "Alarm when the SES account's Reputation.ComplaintRate reaches this fraction (SES reviews at 0.001)."
  type        = number
  default     = 0.0008
}

variable "redis_auth_version" {
  description = "Bump to generate a new Redis AUTH token (applied with the ROTATE strategy; roll the service afterwards)."
  type        = number
  default     = 1
}

variable "activity_table_name" {
  description = "DynamoDB activity table name (TASKBOARD_ACTIVITY_TABLE)."
  type        = string
  default     = "taskboard-activity"
}

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.t4g.small"
}

variable "redis_engine_version" {
  description = "ElastiCache Redis OSS engine version."
  type        = string
  default     = "7.1"
}

variable "redis_replicas" {
  description = "Number of cache nodes in the replication group (primary + replicas); at least 2 for Multi-AZ."
  type        = number
  default     = 2

  validation {
    condition     = var.redis_replicas >= 2
    error_message = "redis_replicas must be at least 2 for automatic failover."
  }
}

# ---------------------------------------------------------------------------
# Events, mail, SMS, schedule
# ---------------------------------------------------------------------------
variable "event_bus_name" {
  description = "EventBridge custom bus name (TASKBOARD_EVENT_BUS)."
  type        = string
  default     = "taskboard"
}

variable "mail_domain" {
  description = "Domain verified in SES (DKIM) for sending mail. Defaults to app_domain_name; must be inside route53_zone_name."
  type        = string
  default     = null
}

variable "mail_from" {
  description = "Sender address (TASKBOARD_MAIL_FROM); must be at mail_domain."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+$", var.mail_from))
    error_message = "mail_from must be an e-mail address."
  }
}

variable "mailer_lambda_zip" {
  description = "Path of the mailer Lambda zip, relative to the repository root (built by the project's lambda build script)."
  type        = string
  default     = "build/mailer-lambda.zip"
}

variable "mailer_reserved_concurrency" {
  description = "Reserved concurrency of the mailer Lambda (caps the SES/SNS send rate)."
  type        = number
  default     = 10

  validation {
    condition     = var.mailer_reserved_concurrency >= 1
    error_message = "mailer_reserved_concurrency must be at least 1."
  }
}

variable "sms_sender_id" {
  description = "Default SNS SMS sender ID (1-11 alphanumeric characters; not supported in every country)."
  type        = string
  default     = "Taskboard"

  validation {
    condition     = can(regex("^[A-Za-z0-9]{1,11}$", var.sms_sender_id))
    error_message = "sms_sender_id must be 1-11 letters or digits."
  }
}

variable "sms_monthly_spend_limit" {
  description = "Monthly SMS spend limit in USD (account-wide SNS setting)."
  type        = number
  default     = 20
}

variable "remind_schedule_expression" {
  description = "EventBridge Scheduler expression for `taskboard remind`."
  type        = string
  default     = "cron(0 8 * * ? *)"
}

variable "remind_schedule_timezone" {
  description = "Time zone of remind_schedule_expression."
  type        = string
  default     = "UTC"
}

variable "prune_schedule_expression" {
  description = "EventBridge Scheduler expression (UTC) for `taskboard prune`: daily, off-peak."
  type        = string
  default     = "cron(30 3 * * ? *)"
}

variable "event_retention_days" {
  description = "Days delivered board events are kept for afterSeq replay (TASKBOARD_EVENT_RETENTION_DAYS)."
  type        = number
  default     = 30

  validation {
    condition     = var.event_retention_days >= 1
    error_message = "event_retention_days must be at least 1."
  }
}

# ---------------------------------------------------------------------------
# Operations
# ---------------------------------------------------------------------------
variable "log_retention_days" {
  description = "CloudWatch Logs retention (days) for every log group of the stack."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention period CloudWatch Logs accepts."
  }
}

variable "alarm_email" {
  description = "Optional e-mail address subscribed to the alarm topic (confirm the subscription mail)."
  type        = string
  default     = null
}

variable "outbox_age_alarm_seconds" {
  description = "Alarm when the oldest undelivered outbox row (Taskboard/OutboxOldestAgeSeconds) is older than this."
  type        = number
  default     = 300
}

variable "otel_collector_image" {
  description = "The AWS Distro for OpenTelemetry collector image run beside the service (observability.tf); pin a release tag or a digest."
  type        = string
  default     = "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0"
}
