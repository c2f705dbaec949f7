locals {
  name = "${var.project}-${var.environment}"

  tags = merge(
    {
      Project     = var.project
      Environment = var.environment
      ManagedBy   = "terraform"
    },
    var.extra_tags,
  )

  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  # One entry per availability zone: az name => index (used for CIDR maths).
  azs = { for index, az in var.availability_zones : az => index }

  app_fqdn    = var.app_domain_name             # CloudFront: web client + websockets
  api_fqdn    = "api.${var.app_domain_name}"    # API Gateway: HTTP GraphQL
  origin_fqdn = "origin.${var.app_domain_name}" # internal ALB (TLS name only)
  mail_domain = coalesce(var.mail_domain, var.app_domain_name)

  is_aurora = var.database_engine == "aurora-mysql"

  mailer_zip_path = abspath("${path.module}/../${var.mailer_lambda_zip}")

  container_name = "taskboard"
  container_port = 8000
}
