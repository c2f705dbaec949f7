# ---------------------------------------------------------------------------
# Log group of the service and one-off tasks
# ---------------------------------------------------------------------------
resource "aws_cloudwatch_log_group" "app" {
  name              = "/ecs/${local.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

# ---------------------------------------------------------------------------
# Alarm topic
# ---------------------------------------------------------------------------
resource "aws_sns_topic" "alarms" {
  name              = "${local.name}-alarms"
  kms_master_key_id = aws_kms_key.main.arn
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  alarm_actions = [aws_sns_topic.alarms.arn]

  dead_letter_queues = {
    events    = aws_sqs_queue.events_dlq.name
    mailer    = aws_sqs_queue.mailer_dlq.name
    scheduler = aws_sqs_queue.scheduler_dlq.name
  }
}

# ---------------------------------------------------------------------------
# ECS service
# ---------------------------------------------------------------------------
resource "aws_cloudwatch_metric_alarm" "ecs_cpu_high" {
  alarm_name          = "${local.name}-ecs-cpu-high"
  alarm_description   = "Service CPU above 85% for 5 minutes (autoscaling should already be adding tasks). Runbook: deploy/RUNBOOK.md#ecs_cpu_high"
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  dimensions          = { ClusterName = aws_ecs_cluster.main.name, ServiceName = aws_ecs_service.app.name }
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 5
  threshold           = 85
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "ecs_memory_high" {
  alarm_name          = "${local.name}-ecs-memory-high"
  alarm_description   = "Service memory above 85% of the reservation for 5 minutes. Runbook: deploy/RUNBOOK.md#ecs_memory_high"
  namespace           = "AWS/ECS"
  metric_name         = "MemoryUtilization"
  dimensions          = { ClusterName = aws_ecs_cluster.main.name, ServiceName = aws_ecs_service.app.name }
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 5
  threshold           = 85
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# ---------------------------------------------------------------------------
# ALB
# ---------------------------------------------------------------------------
resource "aws_cloudwatch_metric_alarm" "alb_target_5xx" {
  alarm_name          = "${local.name}-alb-target-5xx"
  alarm_description   = "Targets answered 5xx more than 10 times a minute for 3 minutes. Runbook: deploy/RUNBOOK.md#alb_target_5xx"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_Target_5XX_Count"
  dimensions          = { LoadBalancer = aws_lb.internal.arn_suffix, TargetGroup = aws_lb_target_group.app.arn_suffix }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 10
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "alb_elb_5xx" {
  alarm_name          = "${local.name}-alb-elb-5xx"
  alarm_description   = "The ALB itself answered 5xx (no healthy target, timeouts) more than 10 times a minute. Runbook: deploy/RUNBOOK.md#alb_elb_5xx"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_ELB_5XX_Count"
  dimensions          = { LoadBalancer = aws_lb.internal.arn_suffix }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 10
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "alb_target_latency" {
  alarm_name          = "${local.name}-alb-target-latency-p95"
  alarm_description   = "p95 target response time above 1 s for 5 minutes. Runbook: deploy/RUNBOOK.md#alb_target_latency"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = { LoadBalancer = aws_lb.internal.arn_suffix, TargetGroup = aws_lb_target_group.app.arn_suffix }
  extended_statistic  = "p95"
  period              = 60
  evaluation_periods  = 5
  threshold           = 1
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# ---------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------
resource "aws_cloudwatch_metric_alarm" "rds_cpu_high" {
  alarm_name          = "${local.name}-db-cpu-high"
  alarm_description   = "Database CPU above 80% for 10 minutes. Runbook: deploy/RUNBOOK.md#rds_cpu_high"
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  dimensions          = local.db_alarm_dimensions
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 10
  threshold           = 80
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# RDS: FreeStorageSpace of the volume. Aurora storage grows by itself, so the
# alarm watches the instances' FreeLocalStorage (temp tables, logs) instead.
resource "aws_cloudwatch_metric_alarm" "rds_free_storage_low" {
  alarm_name          = "${local.name}-db-free-storage-low"
  alarm_description   = "Database free storage below 5 GiB. Runbook: deploy/RUNBOOK.md#rds_free_storage_low"
  namespace           = "AWS/RDS"
  metric_name         = local.is_aurora ? "FreeLocalStorage" : "FreeStorageSpace"
  dimensions          = local.db_alarm_dimensions
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 5 * 1024 * 1024 * 1024
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# ---------------------------------------------------------------------------
# Dead-letter queues: any message is an undelivered event / mail / reminder
# ---------------------------------------------------------------------------
resource "aws_cloudwatch_metric_alarm" "dlq_not_empty" {
  for_each = local.dead_letter_queues

  alarm_name          = "${local.name}-dlq-${each.key}-not-empty"
  alarm_description   = "Messages are waiting in the ${each.key} dead-letter queue (${each.value}). Runbook: deploy/RUNBOOK.md#dlq_not_empty"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# ---------------------------------------------------------------------------
# Mail pipeline
# ---------------------------------------------------------------------------
resource "aws_cloudwatch_metric_alarm" "mailer_errors" {
  alarm_name          = "${local.name}-mailer-errors"
  alarm_description   = "The mailer Lambda failed invocations (EventBridge retries them). Runbook: deploy/RUNBOOK.md#mailer_errors"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.mailer.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "events_failed_invocations" {
  alarm_name          = "${local.name}-events-failed-invocations"
  alarm_description   = "EventBridge could not invoke the mailer (events go to the events DLQ after retries). Runbook: deploy/RUNBOOK.md#events_failed_invocations"
  namespace           = "AWS/Events"
  metric_name         = "FailedInvocations"
  dimensions          = { EventBusName = aws_cloudwatch_event_bus.main.name, RuleName = aws_cloudwatch_event_rule.task_mail.name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# Outbox relay lag. The service publishes the custom metric
# Taskboard/OutboxOldestAgeSeconds (no dimensions) through an EMF log line or
# PutMetricData (README, "Metrics"). Missing data is not breaching: a stopped
# service is caught by the ALB/ECS alarms.
resource "aws_cloudwatch_metric_alarm" "outbox_backlog_age" {
  alarm_name          = "${local.name}-outbox-oldest-age"
  alarm_description   = "The oldest undelivered outbox row is older than ${var.outbox_age_alarm_seconds}s: the relay is not delivering to DynamoDB/EventBridge. Runbook: deploy/RUNBOOK.md#outbox_backlog_age"
  namespace           = "Taskboard"
  metric_name         = "OutboxOldestAgeSeconds"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  threshold           = var.outbox_age_alarm_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# Redis (live fan-out, login limits) is not part of readiness: without it the
# tasks stay in the load balancer and live streams poll the table. The service
# publishes Taskboard/RedisUp (1/0) with its other EMF metrics; this alarm is
# how an outage is seen.
resource "aws_cloudwatch_metric_alarm" "redis_down" {
  alarm_name          = "${local.name}-redis-down"
  alarm_description   = "A task could not reach Redis for 3 minutes: live updates between tasks are degraded to table polling. Runbook: deploy/RUNBOOK.md#redis_down"
  namespace           = "Taskboard"
  metric_name         = "RedisUp"
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# The activity table refused a write because the board/seq already holds a
# different event: a seq was reused (a database restored to an earlier point).
# The row stays undelivered to the log (its last_error says which event holds
# the slot) and is retried with backoff, so the metric keeps counting until an
# operator resolves it; see deploy/RUNBOOK.md#activity_conflicts.
resource "aws_cloudwatch_metric_alarm" "activity_conflicts" {
  alarm_name          = "${local.name}-activity-conflicts"
  alarm_description   = "The activity log refused an event whose board/seq holds another event (a reused seq, e.g. after a database restore). Runbook: deploy/RUNBOOK.md#activity_conflicts"
  namespace           = "Taskboard"
  metric_name         = "ActivityConflicts"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}
