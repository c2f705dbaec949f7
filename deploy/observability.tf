# ---------------------------------------------------------------------------
# Traces: the AWS Distro for OpenTelemetry collector beside the service in its
# task. `taskboard serve` (TASKBOARD_TRACING=otlp) sends its spans over
# OTLP/HTTP to 127.0.0.1:4318 (awsvpc: the containers of a task share
# localhost); the collector batches them and hands them to X-Ray. The relay
# child process and the mailer continue each mutation's trace through the
# outbox (models/tracing.py); the mail Lambda has no OpenTelemetry and traces
# nothing.
# ---------------------------------------------------------------------------
locals {
  otel_container_name = "otel-collector"

  otel_collector_config = {
    receivers = {
      otlp = { protocols = { http = { endpoint = "127.0.0.1:4318" } } }
    }
    processors = {
      # Bounded: a slow X-Ray must not grow the sidecar past its memory.
      memory_limiter = { check_interval = "1s", limit_mib = 100, spike_limit_mib = 25 }
      batch          = { timeout = "5s", send_batch_size = 256 }
    }
    exporters = {
      awsxray = { region = var.region, indexed_attributes = ["taskboard.event_id", "graphql.operation.name"] }
    }
    extensions = { health_check = {} }
    service = {
      extensions = ["health_check"]
      pipelines = {
        traces = { receivers = ["otlp"], processors = ["memory_limiter", "batch"], exporters = ["awsxray"] }
      }
    }
  }

  # Added to the app container (compute.tf).
  tracing_environment = [
    { name = "TASKBOARD_TRACING", value = "otlp" },
    { name = "OTEL_EXPORTER_OTLP_ENDPOINT", value = "http://127.0.0.1:4318" },
    { name = "OTEL_SERVICE_NAME", value = local.name },
  ]

  otel_collector_container = {
    name                   = local.otel_container_name
    image                  = var.otel_collector_image
    essential              = false # without it the service still serves; spans are dropped
    cpu                    = 64
    memory                 = 192
    memoryReservation      = 128
    readonlyRootFilesystem = true
    privileged             = false
    environment            = [{ name = "AOT_CONFIG_CONTENT", value = yamlencode(local.otel_collector_config) }]
    linuxParameters        = { initProcessEnabled = true, capabilities = { drop = ["ALL"] } }
    healthCheck = {
      command     = ["/healthcheck"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 10
    }
    logConfiguration = {
      logDriver = "awslogs"
      options   = merge(local.log_options, { "awslogs-stream-prefix" = "otel" })
    }
  }
}

# X-Ray's write and sampling calls have no resource-level permissions.
data "aws_iam_policy_document" "task_tracing" {
  statement {
    sid = "XRayTraces"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
      "xray:GetSamplingStatisticSummaries",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "task_tracing" {
  name   = "tracing"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task_tracing.json
}

# ---------------------------------------------------------------------------
# Alarms besides those in ops.tf (and the SES reputation ones in mail.tf):
# capacity, target health, DynamoDB throttles, the public API.
# ---------------------------------------------------------------------------
resource "aws_cloudwatch_metric_alarm" "ecs_running_below_desired" {
  alarm_name          = "${local.name}-ecs-running-below-desired"
  alarm_description   = "Fewer tasks running than the service wants for 5 minutes (tasks failing to start or crash-looping; Container Insights). Runbook: deploy/RUNBOOK.md#ecs_running_below_desired"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 5
  threshold           = 0
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "missing"
    expression  = "desired - running"
    label       = "Tasks missing"
    return_data = true
  }

  metric_query {
    id = "desired"
    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "DesiredTaskCount"
      dimensions  = { ClusterName = aws_ecs_cluster.main.name, ServiceName = aws_ecs_service.app.name }
      stat        = "Minimum"
      period      = 60
    }
  }

  metric_query {
    id = "running"
    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "RunningTaskCount"
      dimensions  = { ClusterName = aws_ecs_cluster.main.name, ServiceName = aws_ecs_service.app.name }
      stat        = "Minimum"
      period      = 60
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "alb_unhealthy_targets" {
  alarm_name          = "${local.name}-alb-unhealthy-targets"
  alarm_description   = "At least one target failed the /readyz health check for 3 minutes (its database is unreachable, or it is overloaded). Runbook: deploy/RUNBOOK.md#alb_unhealthy_targets"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = { LoadBalancer = aws_lb.internal.arn_suffix, TargetGroup = aws_lb_target_group.app.arn_suffix }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "dynamodb_throttles" {
  alarm_name          = "${local.name}-dynamodb-throttles"
  alarm_description   = "The activity table throttled reads or writes for 3 minutes (the relay backs off; activity reads fall back to the outbox table). Runbook: deploy/RUNBOOK.md#dynamodb_throttles"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 3
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "throttles"
    expression  = "FILL(reads, 0) + FILL(writes, 0)"
    label       = "Throttle events"
    return_data = true
  }

  metric_query {
    id = "reads"
    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "ReadThrottleEvents"
      dimensions  = { TableName = aws_dynamodb_table.activity.name }
      stat        = "Sum"
      period      = 60
    }
  }

  metric_query {
    id = "writes"
    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "WriteThrottleEvents"
      dimensions  = { TableName = aws_dynamodb_table.activity.name }
      stat        = "Sum"
      period      = 60
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  alarm_name          = "${local.name}-api-5xx"
  alarm_description   = "The public API (API Gateway) answered 5xx more than 10 times a minute for 3 minutes. Runbook: deploy/RUNBOOK.md#api_5xx"
  namespace           = "AWS/ApiGateway"
  metric_name         = "5xx"
  dimensions          = { ApiId = aws_apigatewayv2_api.http.id, Stage = aws_apigatewayv2_stage.default.name }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 10
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "api_latency" {
  alarm_name          = "${local.name}-api-latency-p95"
  alarm_description   = "p95 latency of the public API (API Gateway, end to end) above 1.5 s for 5 minutes. Runbook: deploy/RUNBOOK.md#api_latency"
  namespace           = "AWS/ApiGateway"
  metric_name         = "Latency"
  dimensions          = { ApiId = aws_apigatewayv2_api.http.id, Stage = aws_apigatewayv2_stage.default.name }
  extended_statistic  = "p95"
  period              = 60
  evaluation_periods  = 5
  threshold           = 1500
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# ---------------------------------------------------------------------------
# One dashboard: traffic and errors, capacity, the outbox, data stores, mail.
# ---------------------------------------------------------------------------
locals {
  ecs_dims = ["ClusterName", aws_ecs_cluster.main.name, "ServiceName", aws_ecs_service.app.name]
  alb_dims = ["LoadBalancer", aws_lb.internal.arn_suffix, "TargetGroup", aws_lb_target_group.app.arn_suffix]
  api_dims = ["ApiId", aws_apigatewayv2_api.http.id, "Stage", aws_apigatewayv2_stage.default.name]

  dashboard_widgets = [
    {
      title = "API requests and errors (API Gateway)"
      metrics = [
        concat(["AWS/ApiGateway", "Count"], local.api_dims, [{ stat = "Sum" }]),
        concat(["AWS/ApiGateway", "4xx"], local.api_dims, [{ stat = "Sum" }]),
        concat(["AWS/ApiGateway", "5xx"], local.api_dims, [{ stat = "Sum" }]),
      ]
    },
    {
      title = "API latency p50 / p95 (ms)"
      metrics = [
        concat(["AWS/ApiGateway", "Latency"], local.api_dims, [{ stat = "p50" }]),
        concat(["AWS/ApiGateway", "Latency"], local.api_dims, [{ stat = "p95" }]),
      ]
    },
    {
      title = "Targets: healthy / unhealthy, 5xx"
      metrics = [
        concat(["AWS/ApplicationELB", "HealthyHostCount"], local.alb_dims, [{ stat = "Minimum" }]),
        concat(["AWS/ApplicationELB", "UnHealthyHostCount"], local.alb_dims, [{ stat = "Maximum" }]),
        concat(["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"], local.alb_dims, [{ stat = "Sum" }]),
      ]
    },
    {
      title = "ECS tasks: running / desired"
      metrics = [
        concat(["ECS/ContainerInsights", "RunningTaskCount"], local.ecs_dims, [{ stat = "Minimum" }]),
        concat(["ECS/ContainerInsights", "DesiredTaskCount"], local.ecs_dims, [{ stat = "Maximum" }]),
      ]
    },
    {
      title = "ECS CPU / memory (%)"
      metrics = [
        concat(["AWS/ECS", "CPUUtilization"], local.ecs_dims, [{ stat = "Average" }]),
        concat(["AWS/ECS", "MemoryUtilization"], local.ecs_dims, [{ stat = "Average" }]),
      ]
    },
    {
      title = "Outbox: backlog and oldest age (s)"
      metrics = [
        ["Taskboard", "OutboxBacklog", { stat = "Maximum" }],
        ["Taskboard", "OutboxOldestAgeSeconds", { stat = "Maximum" }],
        ["Taskboard", "ActivityConflicts", { stat = "Sum" }],
      ]
    },
    {
      title = "Redis up (1) / DynamoDB throttles"
      metrics = [
        ["Taskboard", "RedisUp", { stat = "Minimum" }],
        ["AWS/DynamoDB", "ReadThrottleEvents", "TableName", aws_dynamodb_table.activity.name, { stat = "Sum" }],
        ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", aws_dynamodb_table.activity.name, { stat = "Sum" }],
      ]
    },
    {
      title = "Mail: SES bounce / complaint rate"
      metrics = [
        ["AWS/SES", "Reputation.BounceRate", { stat = "Maximum" }],
        ["AWS/SES", "Reputation.ComplaintRate", { stat = "Maximum" }],
      ]
    },
  ]
}

resource "aws_cloudwatch_dashboard" "main" {
  dashboard_name = local.name
  dashboard_body = jsonencode({
    widgets = [for i, w in local.dashboard_widgets : {
      type   = "metric"
      x      = (i % 2) * 12
      y      = floor(i / 2) * 6
      width  = 12
      height = 6
      properties = {
        title   = w.title
        region  = var.region
        view    = "timeSeries"
        stacked = false
        period  = 60
        metrics = w.metrics
      }
    }]
  })
}
