# ---------------------------------------------------------------------------
# EventBridge: custom bus, archive, mail rule -> mailer Lambda
# ---------------------------------------------------------------------------
locals {
  # Task changes, and a user's own mail and SMS (models/events.py MAIL_DETAIL_TYPES).
  task_detail_types = [
    "TaskCreated", "TaskUpdated", "TaskStatusChanged", "TaskAssigned", "TaskDeleted", "CommentAdded",
    "AccountEmailVerification", "AccountPasswordReset", "AccountInvitation", "AccountPhoneCode",
    "MemberAdded",
  ]
}

resource "aws_cloudwatch_event_bus" "main" {
  name = var.event_bus_name
}

# Lets an operator replay events after fixing a mailer bug.
resource "aws_cloudwatch_event_archive" "main" {
  name             = "${local.name}-events"
  event_source_arn = aws_cloudwatch_event_bus.main.arn
  retention_days   = 30
}

resource "aws_cloudwatch_event_rule" "task_mail" {
  name           = "${local.name}-task-mail"
  description    = "Task changes -> mailer Lambda (SES mail, SNS SMS)"
  event_bus_name = aws_cloudwatch_event_bus.main.name

  event_pattern = jsonencode({
    source        = ["taskboard"]
    "detail-type" = local.task_detail_types
  })
}

resource "aws_cloudwatch_event_target" "task_mail_lambda" {
  rule           = aws_cloudwatch_event_rule.task_mail.name
  event_bus_name = aws_cloudwatch_event_bus.main.name
  target_id      = "mailer-lambda"
  arn            = aws_lambda_function.mailer.arn

  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }

  dead_letter_config {
    arn = aws_sqs_queue.events_dlq.arn
  }
}

resource "aws_lambda_permission" "events_invoke_mailer" {
  statement_id  = "AllowEventBridgeTaskMailRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.mailer.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.task_mail.arn
}

# Events EventBridge could not deliver to the Lambda.
resource "aws_sqs_queue" "events_dlq" {
  name                      = "${local.name}-events-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

data "aws_iam_policy_document" "events_dlq" {
  statement {
    sid       = "EventBridgeRuleDeadLetters"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.events_dlq.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.task_mail.arn, aws_cloudwatch_event_rule.mail_feedback.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "events_dlq" {
  queue_url = aws_sqs_queue.events_dlq.id
  policy    = data.aws_iam_policy_document.events_dlq.json
}

# ---------------------------------------------------------------------------
# EventBridge Scheduler: `taskboard remind` and `taskboard prune` as one-off ECS tasks
# ---------------------------------------------------------------------------
resource "aws_sqs_queue" "scheduler_dlq" {
  name                      = "${local.name}-scheduler-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_scheduler_schedule" "remind" {
  name                         = "${local.name}-remind"
  description                  = "Deadline reminder mails (taskboard remind)"
  schedule_expression          = var.remind_schedule_expression
  schedule_expression_timezone = var.remind_schedule_timezone
  state                        = "ENABLED"
  kms_key_arn                  = aws_kms_key.main.arn

  flexible_time_window {
    mode                      = "FLEXIBLE"
    maximum_window_in_minutes = 15
  }

  target {
    arn      = aws_ecs_cluster.main.arn
    role_arn = aws_iam_role.scheduler.arn

    ecs_parameters {
      task_definition_arn = aws_ecs_task_definition.remind.arn
      task_count          = 1
      propagate_tags      = "TASK_DEFINITION"

      capacity_provider_strategy {
        capacity_provider = aws_ecs_capacity_provider.ec2.name
        weight            = 1
      }

      network_configuration {
        subnets          = [for subnet in aws_subnet.private_app : subnet.id]
        security_groups  = [aws_security_group.tasks.id]
        assign_public_ip = false
      }
    }

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }

    dead_letter_config {
      arn = aws_sqs_queue.scheduler_dlq.arn
    }
  }
}

resource "aws_scheduler_schedule" "prune" {
  name                         = "${local.name}-prune"
  description                  = "Retention: delivered events and dead refresh tokens (taskboard prune)"
  schedule_expression          = var.prune_schedule_expression
  schedule_expression_timezone = "UTC"
  state                        = "ENABLED"
  kms_key_arn                  = aws_kms_key.main.arn

  flexible_time_window {
    mode                      = "FLEXIBLE"
    maximum_window_in_minutes = 15
  }

  target {
    arn      = aws_ecs_cluster.main.arn
    role_arn = aws_iam_role.scheduler.arn

    ecs_parameters {
      task_definition_arn = aws_ecs_task_definition.prune.arn
      task_count          = 1
      propagate_tags      = "TASK_DEFINITION"

      capacity_provider_strategy {
        capacity_provider = aws_ecs_capacity_provider.ec2.name
        weight            = 1
      }

      network_configuration {
        subnets          = [for subnet in aws_subnet.private_app : subnet.id]
        security_groups  = [aws_security_group.tasks.id]
        assign_public_ip = false
      }
    }

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }

    dead_letter_config {
      arn = aws_sqs_queue.scheduler_dlq.arn
    }
  }
}
