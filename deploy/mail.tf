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
      TASKBOARD_ACTIVITY_TABLE = aws_dynamodb_table.activity.name
      TASKBOARD_MAIL_FROM      = var.mail_from
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
# SNS SMS (account-wide preferences)
# ---------------------------------------------------------------------------
resource "aws_sns_sms_preferences" "main" {
  default_sender_id                     = var.sms_sender_id
  default_sms_type                      = "Transactional"
  monthly_spend_limit                   = var.sms_monthly_spend_limit
  delivery_status_iam_role_arn          = aws_iam_role.sns_delivery_status.arn
  delivery_status_success_sampling_rate = "10"
}
