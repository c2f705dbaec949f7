# ---------------------------------------------------------------------------
# ECR
# ---------------------------------------------------------------------------
resource "aws_ecr_repository" "app" {
  name                 = local.name
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.main.arn
  }
}

resource "aws_ecr_lifecycle_policy" "app" {
  repository = aws_ecr_repository.app.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the 100 most recent images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = 100
      }
      action = { type = "expire" }
    }]
  })
}

# ---------------------------------------------------------------------------
# ECS cluster on EC2
# ---------------------------------------------------------------------------
resource "aws_ecs_cluster" "main" {
  name = local.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

# ECS-optimized Amazon Linux 2023 AMI, resolved at plan time.
data "aws_ssm_parameter" "ecs_ami" {
  name = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
}

resource "aws_launch_template" "ecs" {
  name_prefix            = "${local.name}-ecs-"
  image_id               = data.aws_ssm_parameter.ecs_ami.value
  instance_type          = var.instance_type
  vpc_security_group_ids = [aws_security_group.instances.id]
  update_default_version = true
  ebs_optimized          = true

  iam_instance_profile {
    arn = aws_iam_instance_profile.ecs_instance.arn
  }

  # IMDSv2 only; hop limit 1 keeps containers from reaching the instance role.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size           = 40
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  monitoring {
    enabled = true
  }

  user_data = base64encode(<<-EOT
    #!/bin/bash
    set -euo pipefail
    cat >> /etc/ecs/ecs.config <<'CONFIG'
    ECS_CLUSTER=${aws_ecs_cluster.main.name}
    ECS_ENABLE_TASK_IAM_ROLE=true
    ECS_AWSVPC_BLOCK_IMDS=true
    ECS_ENABLE_CONTAINER_METADATA=true
    ECS_CONTAINER_STOP_TIMEOUT=30s
    CONFIG
  EOT
  )

  tag_specifications {
    resource_type = "instance"
    tags          = merge(local.tags, { Name = "${local.name}-ecs" })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(local.tags, { Name = "${local.name}-ecs" })
  }
}

resource "aws_autoscaling_group" "ecs" {
  name_prefix           = "${local.name}-ecs-"
  vpc_zone_identifier   = [for subnet in aws_subnet.private_app : subnet.id]
  min_size              = var.asg_min_size
  max_size              = var.asg_max_size
  health_check_type     = "EC2"
  protect_from_scale_in = true # required by managed termination protection
  capacity_rebalance    = true
  default_cooldown      = 120

  launch_template {
    id      = aws_launch_template.ecs.id
    version = aws_launch_template.ecs.latest_version
  }

  instance_refresh {
    strategy = "Rolling"
    preferences {
      min_healthy_percentage = 90
    }
  }

  tag {
    key                 = "AmazonECSManaged"
    value               = "true"
    propagate_at_launch = true
  }

  tag {
    key                 = "Name"
    value               = "${local.name}-ecs"
    propagate_at_launch = true
  }

  lifecycle {
    # The capacity provider owns desired capacity.
    ignore_changes = [desired_capacity]
  }
}

resource "aws_ecs_capacity_provider" "ec2" {
  name = "${local.name}-ec2"

  auto_scaling_group_provider {
    auto_scaling_group_arn         = aws_autoscaling_group.ecs.arn
    managed_termination_protection = "ENABLED"
    managed_draining               = "ENABLED"

    managed_scaling {
      status                    = "ENABLED"
      target_capacity           = 90
      minimum_scaling_step_size = 1
      maximum_scaling_step_size = 4
      instance_warmup_period    = 180
    }
  }
}

resource "aws_ecs_cluster_capacity_providers" "main" {
  cluster_name       = aws_ecs_cluster.main.name
  capacity_providers = [aws_ecs_capacity_provider.ec2.name]

  default_capacity_provider_strategy {
    capacity_provider = aws_ecs_capacity_provider.ec2.name
    weight            = 1
    base              = 0
  }
}

# ---------------------------------------------------------------------------
# Internal ALB (never internet-facing)
# ---------------------------------------------------------------------------
resource "aws_lb" "internal" {
  name                       = "${local.name}-int"
  internal                   = true
  load_balancer_type         = "application"
  subnets                    = [for subnet in aws_subnet.private_app : subnet.id]
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.alb_deletion_protection
  idle_timeout               = 60 # the service pings websockets more often than this

  access_logs {
    bucket  = aws_s3_bucket.alb_logs.id
    prefix  = "alb"
    enabled = true
  }

  depends_on = [aws_s3_bucket_policy.alb_logs]
}

resource "aws_lb_target_group" "app" {
  name                 = "${local.name}-app"
  port                 = local.container_port
  protocol             = "HTTP"
  target_type          = "ip" # awsvpc tasks
  vpc_id               = aws_vpc.main.id
  deregistration_delay = 30

  health_check {
    enabled             = true
    path                = "/readyz"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.internal.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = aws_acm_certificate_validation.regional.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.app.arn
  }
}

# ---------------------------------------------------------------------------
# Task definitions
# ---------------------------------------------------------------------------
locals {
  # The RDS-managed secret holds {"username","password"}; ECS injects the two
  # keys and this launcher builds TASKBOARD_DATABASE_URL (URL-quoted) before
  # exec'ing `taskboard <args>`. Nothing secret is in the task definition.
  launcher = join("; ", [
    "import os, sys, urllib.parse as u",
    "e = os.environ",
    "e['TASKBOARD_DATABASE_URL'] = 'mysql+asyncmy://%s:%s@%s:%s/%s' % (u.quote(e.pop('DB_USERNAME'), safe=''), u.quote(e.pop('DB_PASSWORD'), safe=''), e['DB_HOST'], e['DB_PORT'], e['DB_NAME'])",
    "os.execvp('taskboard', ['taskboard'] + sys.argv[1:])",
  ])

  db_host = local.is_aurora ? aws_rds_cluster.main[0].endpoint : aws_db_instance.main[0].address

  app_environment = [
    { name = "TASKBOARD_ENV", value = "production" },
    { name = "TASKBOARD_AWS", value = "aws" },
    { name = "TASKBOARD_PROVISION", value = "0" },
    { name = "TASKBOARD_NOTIFY_WORKER", value = "0" },
    { name = "TASKBOARD_ACTIVITY_TABLE", value = aws_dynamodb_table.activity.name },
    { name = "TASKBOARD_EVENT_BUS", value = aws_cloudwatch_event_bus.main.name },
    { name = "TASKBOARD_MAIL_FROM", value = var.mail_from },
    # Account mails link to the web board (verify, reset, invitation).
    { name = "TASKBOARD_PUBLIC_URL", value = "https://${var.app_domain_name}" },
    # `taskboard remind` sends through the configuration set, as the mailer Lambda does.
    { name = "TASKBOARD_SES_CONFIGURATION_SET", value = aws_sesv2_configuration_set.main.configuration_set_name },
    { name = "TASKBOARD_WEB_DIR", value = "/app/web/dist" },
    # The server's RELOAD answer to an old afterSeq and `taskboard prune` agree on it.
    { name = "TASKBOARD_EVENT_RETENTION_DAYS", value = tostring(var.event_retention_days) },
    # The ALB, CloudFront's VPC origin and the VPC link reach the tasks from inside
    # the VPC: their X-Forwarded-For names the client the login limits count.
    { name = "TASKBOARD_TRUSTED_PROXIES", value = var.vpc_cidr },
    { name = "AWS_REGION", value = var.region },
    { name = "DB_HOST", value = local.db_host },
    { name = "DB_PORT", value = "3306" },
    { name = "DB_NAME", value = var.db_name },
    # TLS to MySQL, verified against the RDS CA bundle in the image
    # (TASKBOARD_DATABASE_CA_FILE, set in the Dockerfile).
    { name = "TASKBOARD_DATABASE_TLS", value = "require" },
  ]

  app_secrets = [
    { name = "TASKBOARD_JWT_SECRET", valueFrom = aws_secretsmanager_secret.jwt.arn },
    { name = "TASKBOARD_JWT_PREVIOUS_SECRET", valueFrom = aws_secretsmanager_secret.jwt_previous.arn },
    { name = "TASKBOARD_REDIS_URL", valueFrom = aws_secretsmanager_secret.redis_url.arn },
  ]

  # serve, remind and prune connect as the least-privilege app user (rows only);
  # only migrate gets the master credentials, and the app user's password to set.
  app_db_environment = [{ name = "DB_USERNAME", value = var.app_db_username }]
  app_db_secrets     = [{ name = "DB_PASSWORD", valueFrom = aws_secretsmanager_secret.app_db_password.arn }]

  migrate_db_environment = [{ name = "TASKBOARD_APP_DB_USER", value = var.app_db_username }]
  migrate_db_secrets = [
    { name = "DB_USERNAME", valueFrom = "${local.db_secret_arn}:username::" },
    { name = "DB_PASSWORD", valueFrom = "${local.db_secret_arn}:password::" },
    { name = "TASKBOARD_APP_DB_PASSWORD", valueFrom = aws_secretsmanager_secret.app_db_password.arn },
  ]

  healthcheck_command = [
    "CMD", "python", "-c",
    "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3).status == 200 else 1)",
  ]

  # Common container settings; each task definition adds its command.
  container_base = {
    name                   = local.container_name
    image                  = "${aws_ecr_repository.app.repository_url}:${var.image_tag}"
    essential              = true
    user                   = "10001"
    readonlyRootFilesystem = true
    privileged             = false
    environment            = concat(local.app_environment, local.app_db_environment)
    secrets                = concat(local.app_secrets, local.app_db_secrets)
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    linuxParameters = {
      initProcessEnabled = true
      capabilities       = { drop = ["ALL"] }
    }
    ulimits = [{ name = "nofile", softLimit = 65536, hardLimit = 65536 }]
  }

  log_options = {
    "awslogs-group"        = aws_cloudwatch_log_group.app.name
    "awslogs-region"       = var.region
    "awslogs-create-group" = "false"
    "mode"                 = "non-blocking"
    "max-buffer-size"      = "4m"
  }
}

resource "aws_ecs_task_definition" "app" {
  family                   = "${local.name}-app"
  network_mode             = "awsvpc"
  requires_compatibilities = ["EC2"]
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  task_role_arn            = aws_iam_role.task.arn
  execution_role_arn       = aws_iam_role.execution.arn

  volume {
    name = "tmp"
  }

  # The app and the ADOT collector that takes its spans (observability.tf).
  container_definitions = jsonencode([merge(local.container_base, {
    command      = ["python", "-c", local.launcher, "serve", "--host", "0.0.0.0", "--port", tostring(local.container_port), "--workers", tostring(var.uvicorn_workers)]
    portMappings = [{ containerPort = local.container_port, protocol = "tcp", name = "http" }]
    environment  = concat(local.container_base.environment, local.tracing_environment)
    dependsOn    = [{ containerName = local.otel_container_name, condition = "START" }]
    healthCheck = {
      command     = local.healthcheck_command
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = 30
    }
    stopTimeout = 30
    logConfiguration = {
      logDriver = "awslogs"
      options   = merge(local.log_options, { "awslogs-stream-prefix" = "app" })
    }
  }), local.otel_collector_container])
}

# One-off tasks share the image, execution role and network: `taskboard migrate`
# (run by the deploy workflow before the service rolls), `taskboard remind` and
# `taskboard prune` (run by EventBridge Scheduler). Each has the task role of
# what it does (iam.tf): migrate and prune touch only the database.
resource "aws_ecs_task_definition" "migrate" {
  family                   = "${local.name}-migrate"
  network_mode             = "awsvpc"
  requires_compatibilities = ["EC2"]
  cpu                      = 256
  memory                   = 512
  task_role_arn            = aws_iam_role.task_database_only.arn
  execution_role_arn       = aws_iam_role.execution.arn

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([merge(local.container_base, {
    command     = ["python", "-c", local.launcher, "migrate"]
    environment = concat(local.app_environment, local.migrate_db_environment)
    secrets     = concat(local.app_secrets, local.migrate_db_secrets)
    logConfiguration = {
      logDriver = "awslogs"
      options   = merge(local.log_options, { "awslogs-stream-prefix" = "migrate" })
    }
  })])
}

resource "aws_ecs_task_definition" "remind" {
  family                   = "${local.name}-remind"
  network_mode             = "awsvpc"
  requires_compatibilities = ["EC2"]
  cpu                      = 256
  memory                   = 512
  task_role_arn            = aws_iam_role.task_remind.arn
  execution_role_arn       = aws_iam_role.execution.arn

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([merge(local.container_base, {
    command = ["python", "-c", local.launcher, "remind"]
    logConfiguration = {
      logDriver = "awslogs"
      options   = merge(local.log_options, { "awslogs-stream-prefix" = "remind" })
    }
  })])
}

# Retention: delivered events past TASKBOARD_EVENT_RETENTION_DAYS and dead refresh
# tokens, in batches of 1000 rows (models/retention.py); needs only the database.
resource "aws_ecs_task_definition" "prune" {
  family                   = "${local.name}-prune"
  network_mode             = "awsvpc"
  requires_compatibilities = ["EC2"]
  cpu                      = 256
  memory                   = 512
  task_role_arn            = aws_iam_role.task_database_only.arn
  execution_role_arn       = aws_iam_role.execution.arn

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([merge(local.container_base, {
    command = ["python", "-c", local.launcher, "prune"]
    logConfiguration = {
      logDriver = "awslogs"
      options   = merge(local.log_options, { "awslogs-stream-prefix" = "prune" })
    }
  })])
}

# ---------------------------------------------------------------------------
# Service
# ---------------------------------------------------------------------------
resource "aws_ecs_service" "app" {
  name                               = "${local.name}-app"
  cluster                            = aws_ecs_cluster.main.id
  task_definition                    = aws_ecs_task_definition.app.arn
  desired_count                      = var.service_min_tasks
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = 60
  enable_ecs_managed_tags            = true
  propagate_tags                     = "SERVICE"
  enable_execute_command             = false

  capacity_provider_strategy {
    capacity_provider = aws_ecs_capacity_provider.ec2.name
    weight            = 1
    base              = 0
  }

  network_configuration {
    subnets          = [for subnet in aws_subnet.private_app : subnet.id]
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.app.arn
    container_name   = local.container_name
    container_port   = local.container_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  ordered_placement_strategy {
    type  = "spread"
    field = "attribute:ecs.availability-zone"
  }

  ordered_placement_strategy {
    type  = "binpack"
    field = "memory"
  }

  lifecycle {
    # Application Auto Scaling owns the running count.
    ignore_changes = [desired_count]
  }

  depends_on = [aws_lb_listener.https, aws_ecs_cluster_capacity_providers.main]
}

resource "aws_appautoscaling_target" "app" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.main.name}/${aws_ecs_service.app.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.service_min_tasks
  max_capacity       = var.service_max_tasks
}

resource "aws_appautoscaling_policy" "app_cpu" {
  name               = "${local.name}-cpu-target"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.app.service_namespace
  resource_id        = aws_appautoscaling_target.app.resource_id
  scalable_dimension = aws_appautoscaling_target.app.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.service_cpu_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
