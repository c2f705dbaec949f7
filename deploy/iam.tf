# Every policy statement names its actions explicitly: no "*" in any Action.

locals {
  kms_via_services = [
    "dynamodb.${var.region}.amazonaws.com",
    "secretsmanager.${var.region}.amazonaws.com",
  ]
}

# ---------------------------------------------------------------------------
# ECS container instances
# ---------------------------------------------------------------------------
data "aws_iam_policy_document" "assume_ec2" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "ecs_instance" {
  name_prefix        = "${local.name}-ecs-inst-"
  assume_role_policy = data.aws_iam_policy_document.assume_ec2.json
}

resource "aws_iam_role_policy_attachment" "ecs_instance_ecs" {
  role       = aws_iam_role.ecs_instance.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
}

resource "aws_iam_role_policy_attachment" "ecs_instance_ssm" {
  role       = aws_iam_role.ecs_instance.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "ecs_instance" {
  name_prefix = "${local.name}-ecs-inst-"
  role        = aws_iam_role.ecs_instance.name
}

# ---------------------------------------------------------------------------
# ECS task execution role: pull the image, write logs, read the secrets
# ---------------------------------------------------------------------------
data "aws_iam_policy_document" "assume_ecs_tasks" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "execution" {
  name_prefix        = "${local.name}-exec-"
  assume_role_policy = data.aws_iam_policy_document.assume_ecs_tasks.json
}

resource "aws_iam_role_policy_attachment" "execution_managed" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid     = "ReadTaskSecrets"
    actions = ["secretsmanager:GetSecretValue"]
    resources = [
      aws_secretsmanager_secret.jwt.arn,
      aws_secretsmanager_secret.jwt_previous.arn,
      aws_secretsmanager_secret.redis_url.arn,
      aws_secretsmanager_secret.app_db_password.arn,
      local.db_secret_arn,
    ]
  }

  statement {
    sid       = "DecryptTaskSecrets"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.main.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${var.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# ---------------------------------------------------------------------------
# ECS task roles: one per kind of task, each with what that task calls.
#   task               `taskboard serve`: the activity table (the relay writes
#                      it, the API reads it and the mail suppressions), the
#                      event bus, its own metrics. It sends no mail.
#   task_remind        `taskboard remind`: mail through SES and its markers.
#   task_database_only `taskboard migrate` and `taskboard prune`: no AWS API.
# ---------------------------------------------------------------------------
resource "aws_iam_role" "task" {
  name_prefix        = "${local.name}-task-"
  assume_role_policy = data.aws_iam_policy_document.assume_ecs_tasks.json
}

data "aws_iam_policy_document" "task" {
  statement {
    sid     = "ActivityTable"
    actions = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query"]
    resources = [
      aws_dynamodb_table.activity.arn,
      "${aws_dynamodb_table.activity.arn}/index/ByTask",
    ]
  }

  statement {
    sid       = "PublishEvents"
    actions   = ["events:PutEvents"]
    resources = [aws_cloudwatch_event_bus.main.arn]
  }

  statement {
    sid       = "TableEncryptionKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [aws_kms_key.main.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${var.region}.amazonaws.com"]
    }
  }

  # PutMetricData has no resource-level permissions; restricted by namespace.
  statement {
    sid       = "OutboxMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["Taskboard"]
    }
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "app"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

resource "aws_iam_role" "task_remind" {
  name_prefix        = "${local.name}-remind-"
  assume_role_policy = data.aws_iam_policy_document.assume_ecs_tasks.json
}

# `taskboard remind` (notify/reminders.py): mails from the configured identity
# through the configuration set, skips suppressed addresses and keeps one marker
# per task and day, deleting it again when a send fails so that the next run retries.
data "aws_iam_policy_document" "task_remind" {
  statement {
    sid       = "ReminderMail"
    actions   = ["ses:SendEmail", "ses:SendRawEmail"]
    resources = [aws_sesv2_email_identity.mail.arn, aws_sesv2_configuration_set.main.arn]
    condition {
      test     = "StringEquals"
      variable = "ses:FromAddress"
      values   = [var.mail_from]
    }
  }

  statement {
    sid       = "ReminderMarkersAndSuppressions"
    actions   = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
    resources = [aws_dynamodb_table.activity.arn]
  }

  statement {
    sid       = "TableEncryptionKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [aws_kms_key.main.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${var.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "task_remind" {
  name   = "remind"
  role   = aws_iam_role.task_remind.id
  policy = data.aws_iam_policy_document.task_remind.json
}

# Migrate and prune reach only MySQL (with credentials the execution role puts
# in their environment): their role has no policy at all.
resource "aws_iam_role" "task_database_only" {
  name_prefix        = "${local.name}-dbonly-"
  assume_role_policy = data.aws_iam_policy_document.assume_ecs_tasks.json
}

# ---------------------------------------------------------------------------
# Mailer Lambda
# ---------------------------------------------------------------------------
data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "mailer" {
  name_prefix        = "${local.name}-mailer-"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
}

data "aws_iam_policy_document" "mailer" {
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.mailer.arn}:*"]
  }

  statement {
    sid       = "SendMailFromTheVerifiedIdentityOnly"
    actions   = ["ses:SendEmail", "ses:SendRawEmail"]
    resources = [aws_sesv2_email_identity.mail.arn, aws_sesv2_configuration_set.main.arn]
    condition {
      test     = "StringEquals"
      variable = "ses:FromAddress"
      values   = [var.mail_from]
    }
  }

  # SMS to a phone number has no resource ARN: Publish is allowed only to
  # phone numbers (no topic ARN is named here, and the role has no topic).
  statement {
    sid       = "SmsToPhoneNumbers"
    actions   = ["sns:Publish"]
    resources = ["*"]
  }

  statement {
    sid       = "DenyPublishToTopics"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = ["arn:${local.partition}:sns:*:*:*"]
  }

  statement {
    sid       = "MailIdempotency"
    actions   = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
    resources = [aws_dynamodb_table.activity.arn]
  }

  statement {
    sid       = "TableAndEnvEncryptionKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.main.arn]
  }

  statement {
    sid       = "DeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.mailer_dlq.arn]
  }

  # X-Ray has no resource-level permissions.
  statement {
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "mailer" {
  name   = "mailer"
  role   = aws_iam_role.mailer.id
  policy = data.aws_iam_policy_document.mailer.json
}

# ---------------------------------------------------------------------------
# EventBridge Scheduler -> ecs:RunTask (taskboard remind, taskboard prune)
# ---------------------------------------------------------------------------
data "aws_iam_policy_document" "assume_scheduler" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name_prefix        = "${local.name}-sched-"
  assume_role_policy = data.aws_iam_policy_document.assume_scheduler.json
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "RunRemindTask"
    actions   = ["ecs:RunTask"]
    resources = [aws_ecs_task_definition.remind.arn_without_revision, "${aws_ecs_task_definition.remind.arn_without_revision}:*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [aws_ecs_cluster.main.arn]
    }
  }

  statement {
    sid       = "RunPruneTask"
    actions   = ["ecs:RunTask"]
    resources = [aws_ecs_task_definition.prune.arn_without_revision, "${aws_ecs_task_definition.prune.arn_without_revision}:*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [aws_ecs_cluster.main.arn]
    }
  }

  statement {
    sid       = "TagRemindTask"
    actions   = ["ecs:TagResource"]
    resources = ["arn:${local.partition}:ecs:${var.region}:${local.account_id}:task/${aws_ecs_cluster.main.name}/*"]
    condition {
      test     = "StringEquals"
      variable = "ecs:CreateAction"
      values   = ["RunTask"]
    }
  }

  statement {
    sid       = "PassTaskRoles"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.task_remind.arn, aws_iam_role.task_database_only.arn, aws_iam_role.execution.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  statement {
    sid       = "DeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.scheduler_dlq.arn]
  }

  statement {
    sid       = "ScheduleEncryptionKey"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.main.arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "run-remind"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

# ---------------------------------------------------------------------------
# VPC flow logs
# ---------------------------------------------------------------------------
data "aws_iam_policy_document" "assume_flow_logs" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "flow_logs" {
  name_prefix        = "${local.name}-flowlogs-"
  assume_role_policy = data.aws_iam_policy_document.assume_flow_logs.json
}

data "aws_iam_policy_document" "flow_logs" {
  statement {
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:DescribeLogGroups",
      "logs:DescribeLogStreams",
    ]
    resources = [aws_cloudwatch_log_group.flow_logs.arn, "${aws_cloudwatch_log_group.flow_logs.arn}:*"]
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  name   = "flow-logs"
  role   = aws_iam_role.flow_logs.id
  policy = data.aws_iam_policy_document.flow_logs.json
}

# ---------------------------------------------------------------------------
# RDS enhanced monitoring
# ---------------------------------------------------------------------------
data "aws_iam_policy_document" "assume_rds_monitoring" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "rds_monitoring" {
  name_prefix        = "${local.name}-rdsmon-"
  assume_role_policy = data.aws_iam_policy_document.assume_rds_monitoring.json
}

resource "aws_iam_role_policy_attachment" "rds_monitoring" {
  role       = aws_iam_role.rds_monitoring.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

# ---------------------------------------------------------------------------
# SNS SMS delivery-status logging
# ---------------------------------------------------------------------------
data "aws_iam_policy_document" "assume_sns" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "sns_delivery_status" {
  name_prefix        = "${local.name}-smslog-"
  assume_role_policy = data.aws_iam_policy_document.assume_sns.json
}

data "aws_iam_policy_document" "sns_delivery_status" {
  statement {
    actions = [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:PutMetricFilter",
      "logs:PutRetentionPolicy",
    ]
    resources = [
      "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:sns/${var.region}/${local.account_id}/DirectPublishToPhoneNumber",
      "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:sns/${var.region}/${local.account_id}/DirectPublishToPhoneNumber:*",
      "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:sns/${var.region}/${local.account_id}/DirectPublishToPhoneNumber/Failure",
      "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:sns/${var.region}/${local.account_id}/DirectPublishToPhoneNumber/Failure:*",
    ]
  }
}

resource "aws_iam_role_policy" "sns_delivery_status" {
  name   = "sms-delivery-logs"
  role   = aws_iam_role.sns_delivery_status.id
  policy = data.aws_iam_policy_document.sns_delivery_status.json
}
