# No output holds a secret value: only names, ARNs and endpoints.

output "app_url" {
  description = "Web client (CloudFront); websockets at wss://<this host>/graphql."
  value       = "https://${local.app_fqdn}"
}

output "api_url" {
  description = "HTTP GraphQL endpoint (API Gateway)."
  value       = "https://${local.api_fqdn}/graphql"
}

output "ecr_repository_url" {
  description = "Push the service image here (tags are immutable)."
  value       = aws_ecr_repository.app.repository_url
}

output "ecs_cluster_name" {
  description = "ECS cluster."
  value       = aws_ecs_cluster.main.name
}

output "ecs_service_name" {
  description = "ECS service of the API."
  value       = aws_ecs_service.app.name
}

output "migrate_task_definition_arn" {
  description = "Run once per deploy before the service rolls: taskboard migrate."
  value       = aws_ecs_task_definition.migrate.arn
}

output "capacity_provider_name" {
  description = "Capacity provider for one-off tasks (aws ecs run-task --capacity-provider-strategy)."
  value       = aws_ecs_capacity_provider.ec2.name
}

output "task_subnet_ids" {
  description = "Private subnets for one-off tasks."
  value       = [for subnet in aws_subnet.private_app : subnet.id]
}

output "task_security_group_id" {
  description = "Security group for one-off tasks."
  value       = aws_security_group.tasks.id
}

output "web_bucket_name" {
  description = "S3 bucket of the web client (aws s3 sync web/dist)."
  value       = aws_s3_bucket.web.id
}

output "cloudfront_distribution_id" {
  description = "Invalidate after uploading the web client."
  value       = aws_cloudfront_distribution.main.id
}

output "mailer_function_name" {
  description = "Mailer Lambda."
  value       = aws_lambda_function.mailer.function_name
}

output "jwt_secret_arn" {
  description = "Secret to fill with put-secret-value (the ARN is not secret)."
  value       = aws_secretsmanager_secret.jwt.arn
}

output "jwt_previous_secret_arn" {
  description = "Secret of the retiring JWT key during a rotation; `none` otherwise (deploy/RUNBOOK.md)."
  value       = aws_secretsmanager_secret.jwt_previous.arn
}

output "redis_url_secret_arn" {
  description = "Secret to fill with the rediss:// URL including the AUTH token."
  value       = aws_secretsmanager_secret.redis_url.arn
}

output "redis_primary_endpoint" {
  description = "Primary endpoint of the Redis replication group."
  value       = aws_elasticache_replication_group.main.primary_endpoint_address
}

output "redis_replication_group_id" {
  description = "For aws elasticache modify-replication-group (AUTH token)."
  value       = aws_elasticache_replication_group.main.id
}

output "db_master_secret_arn" {
  description = "RDS-managed secret of the master user (value never in state)."
  value       = local.db_secret_arn
}

output "alarm_topic_arn" {
  description = "SNS topic of every alarm."
  value       = aws_sns_topic.alarms.arn
}
