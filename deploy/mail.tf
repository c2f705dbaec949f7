# ---------------------------------------------------------------------------
# Mailer Lambda (notify.lambda_handler.handler): SES mail + SNS SMS
# ---------------------------------------------------------------------------
resource "aws_cloudwatch_log_group" "mailer" {
  name              = "/aws/lambda/${local.name}-mailer"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

# Async invocations that failed every retry.
resource "aws_sqs_queue" "mailer_dlq" {
  name                      = "${local.name}-mailer-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_lambda_function" "mailer" {
  function_name                  = "${local.name}-mailer"
  description                    = "Task-change mail (SES) and SMS (SNS), idempotent per event id"
  role                           = aws_iam_role.mailer.arn
  runtime                        = "python3.12"
  handler                        = "notify.lambda_handler.handler"
  architectures                  = ["arm64"]
  filename                       = local.mailer_zip_path
  source_code_hash               = filebase64sha256(local.mailer_zip_path)
  memory_size                    = 256
  timeout                        = 30
  reserved_concurrent_executions = var.mailer_reserved_concurrency
  kms_key_arn                    = aws_kms_key.main.arn

  environment {
    variables = {
      TASKBOARD_ACTIVITY_TABLE        = aws_dynamodb_table.activity.name
      TASKBOARD_MAIL_FROM             = var.mail_from
      TASKBOARD_SES_CONFIGURATION_SET = aws_sesv2_configuration_set.main.configuration_set_name
    }
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.mailer_dlq.arn
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.mailer.name
  }

  depends_on = [aws_iam_role_policy.mailer]
}

resource "aws_lambda_function_event_invoke_config" "mailer" {
  function_name                = aws_lambda_function.mailer.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600
  # Failures after these retries go to dead_letter_config (mailer_dlq).
}

# ---------------------------------------------------------------------------
# SES domain identity with Easy DKIM, custom MAIL FROM, DMARC
# ---------------------------------------------------------------------------
resource "aws_sesv2_email_identity" "mail" {
  email_identity = local.mail_domain

  dkim_signing_attributes {
    next_signing_key_length = "RSA_2048_BIT"
  }
}

resource "aws_route53_record" "dkim" {
  count = 3

  zone_id = data.aws_route53_zone.main.zone_id
  name    = "${aws_sesv2_email_identity.mail.dkim_signing_attributes[0].tokens[count.index]}._domainkey.${local.mail_domain}"
  type    = "CNAME"
  ttl     = 1800
  records = ["${aws_sesv2_email_identity.mail.dkim_signing_attributes[0].tokens[count.index]}.dkim.amazonses.com"]
}

resource "aws_sesv2_email_identity_mail_from_attributes" "mail" {
  email_identity         = aws_sesv2_email_identity.mail.email_identity
  mail_from_domain       = "bounce.${local.mail_domain}"
  behavior_on_mx_failure = "USE_DEFAULT_VALUE"
}

resource "aws_route53_record" "mail_from_mx" {
  zone_id = data.aws_route53_zone.main.zone_id
  name    = "bounce.${local.mail_domain}"
  type    = "MX"
  ttl     = 1800
  records = ["10 feedback-smtp.${var.region}.amazonses.com"]
}

resource "aws_route53_record" "mail_from_spf" {
  zone_id = data.aws_route53_zone.main.zone_id
  name    = "bounce.${local.mail_domain}"
  type    = "TXT"
  ttl     = 1800
  records = ["v=spf1 include:amazonses.com -all"]
}

resource "aws_route53_record" "dmarc" {
  zone_id = data.aws_route53_zone.main.zone_id
  name    = "_dmarc.${local.mail_domain}"
  type    = "TXT"
  ttl     = 1800
  records = ["v=DMARC1; p=quarantine; adkim=s; aspf=r"]
}

# ---------------------------------------------------------------------------
# Mail reputation: every send names this configuration set (the mailer Lambda
# and `taskboard remind` read TASKBOARD_SES_CONFIGURATION_SET). Its hard bounces
# and complaints go to EventBridge (SES publishes to the default bus only), and a
# rule hands them to the mailer Lambda, which records the address as suppressed
# in the activity table (notify/suppression.py): the mailer sends nothing more to
# it, and the viewer sees NotificationSettings.emailSuppressed. The account-level
# suppression list (BOUNCE, COMPLAINT) is SES's own second line: it drops mail
# to those addresses even if the record above were lost.
# ---------------------------------------------------------------------------
resource "aws_sesv2_configuration_set" "main" {
  configuration_set_name = "${local.name}-mail"

  delivery_options {
    tls_policy = "REQUIRE"
  }

  reputation_options {
    reputation_metrics_enabled = true
  }

  sending_options {
    sending_enabled = true
  }

  suppression_options {
    suppressed_reasons = ["BOUNCE", "COMPLAINT"]
  }
}

resource "aws_sesv2_account_suppression_attributes" "main" {
  suppressed_reasons = ["BOUNCE", "COMPLAINT"]
}

resource "aws_sesv2_configuration_set_event_destination" "bounces_and_complaints" {
  configuration_set_name = aws_sesv2_configuration_set.main.configuration_set_name
  event_destination_name = "bounces-and-complaints"

  event_destination {
    enabled              = true
    matching_event_types = ["BOUNCE", "COMPLAINT"]

    event_bridge_destination {
      event_bus_arn = "arn:${local.partition}:events:${var.region}:${local.account_id}:event-bus/default"
    }
  }
}

resource "aws_cloudwatch_event_rule" "mail_feedback" {
  name           = "${local.name}-mail-feedback"
  description    = "SES hard bounces and complaints of the taskboard configuration set -> mailer Lambda (suppression)"
  event_bus_name = "default"

  event_pattern = jsonencode({
    source        = ["aws.ses"]
    "detail-type" = ["Email Bounced", "Email Complaint Received"]
    detail = {
      mail = { tags = { "ses:configuration-set" = [aws_sesv2_configuration_set.main.configuration_set_name] } }
    }
  })
}

resource "aws_cloudwatch_event_target" "mail_feedback_lambda" {
  rule           = aws_cloudwatch_event_rule.mail_feedback.name
  event_bus_name = "default"
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

resource "aws_lambda_permission" "mail_feedback_invoke_mailer" {
  statement_id  = "AllowEventBridgeMailFeedbackRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.mailer.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.mail_feedback.arn
}

# SES pauses an account's sending at a 10 % bounce or 0.5 % complaint rate (and
# reviews it from 5 % and 0.1 %): these alarm well before either.
resource "aws_cloudwatch_metric_alarm" "ses_bounce_rate" {
  alarm_name          = "${local.name}-ses-bounce-rate"
  alarm_description   = "SES account bounce rate above ${var.ses_bounce_rate_alarm * 100} % (SES reviews at 5 %, pauses at 10 %). Runbook: deploy/RUNBOOK.md#ses_bounce_rate"
  namespace           = "AWS/SES"
  metric_name         = "Reputation.BounceRate"
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = var.ses_bounce_rate_alarm
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "ses_complaint_rate" {
  alarm_name          = "${local.name}-ses-complaint-rate"
  alarm_description   = "SES account complaint rate above ${var.ses_complaint_rate_alarm * 100} % (SES reviews at 0.1 %, pauses at 0.5 %). Runbook: deploy/RUNBOOK.md#ses_complaint_rate"
  namespace           = "AWS/SES"
  metric_name         = "Reputation.ComplaintRate"
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = var.ses_complaint_rate_alarm
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# ---------------------------------------------------------------------------
# SNS SMS (account-wide preferences: this resource sets them for the whole
# account and region, including any other stack's SMS; the monthly spend limit
# caps every SMS the account sends. deploy/README.md, "SMS spend limit")
# ---------------------------------------------------------------------------
resource "aws_sns_sms_preferences" "main" {
  default_sender_id                     = var.sms_sender_id
  default_sms_type                      = "Transactional"
  monthly_spend_limit                   = var.sms_monthly_spend_limit
  delivery_status_iam_role_arn          = aws_iam_role.sns_delivery_status.arn
  delivery_status_success_sampling_rate = "10"
}
