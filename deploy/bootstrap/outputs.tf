output "role_arns" {
  description = "Set as repository variables: AWS_PLAN_PR_ROLE_ARN, AWS_PLAN_ROLE_ARN, AWS_IMAGE_ROLE_ARN, AWS_APPLY_ROLE_ARN."
  value       = { for job, role in aws_iam_role.ci : job => role.arn }
}
