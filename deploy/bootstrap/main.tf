# One role per deploy job, each trusted only for the token that job runs with
# (.github/workflows/deploy.yml). A job's OIDC subject depends on how it runs:
#   pull_request jobs                 repo:<repo>:pull_request
#   jobs on main without environment  repo:<repo>:ref:refs/heads/main
#   jobs with `environment: production` repo:<repo>:environment:production
# so the image and plan jobs (no environment) cannot assume the apply role, and the
# apply role can be assumed only after the environment's reviewers approved.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  issuer     = "token.actions.githubusercontent.com"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  provider_arn = (var.create_oidc_provider
    ? aws_iam_openid_connect_provider.github[0].arn
  : "arn:${local.partition}:iam::${local.account_id}:oidc-provider/${local.issuer}")

  # job -> the OIDC subject it runs as
  subjects = {
    plan_pr = "repo:${var.github_repository}:pull_request"
    plan    = "repo:${var.github_repository}:ref:refs/heads/main"
    image   = "repo:${var.github_repository}:ref:refs/heads/main"
    apply   = "repo:${var.github_repository}:environment:production"
  }
  state_object_arn = "arn:${local.partition}:s3:::${var.state_bucket}/${var.state_key}"
  state_bucket_arn = "arn:${local.partition}:s3:::${var.state_bucket}"
}

resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_oidc_provider ? 1 : 0
  url            = "https://${local.issuer}"
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_policy_document" "trust" {
  for_each = local.subjects

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:sub"
      values   = [each.value]
    }
  }
}

resource "aws_iam_role" "ci" {
  for_each = local.subjects

  name                 = "taskboard-ci-${replace(each.key, "_", "-")}"
  description          = "GitHub Actions deploy.yml job '${each.key}' (${each.value})"
  assume_role_policy   = data.aws_iam_policy_document.trust[each.key].json
  max_session_duration = each.key == "apply" ? 7200 : 3600
}

# --- plan_pr and plan: read the account and the state, change nothing --------
resource "aws_iam_role_policy_attachment" "read_only" {
  for_each = toset(["plan_pr", "plan"])

  role       = aws_iam_role.ci[each.key].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
}

data "aws_iam_policy_document" "state_read" {
  statement {
    sid       = "ReadState"
    actions   = ["s3:GetObject"]
    resources = [local.state_object_arn]
  }

  statement {
    sid       = "ListState"
    actions   = ["s3:ListBucket"]
    resources = [local.state_bucket_arn]
  }
}

resource "aws_iam_role_policy" "state_read" {
  for_each = toset(["plan_pr", "plan"])

  name   = "terraform-state-read"
  role   = aws_iam_role.ci[each.key].id
  policy = data.aws_iam_policy_document.state_read.json
}

# --- image: push to the one repository ---------------------------------------
data "aws_iam_policy_document" "image" {
  statement {
    sid       = "Login"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # GetAuthorizationToken has no resource-level permissions
  }

  statement {
    sid = "Push"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = ["arn:${local.partition}:ecr:${var.region}:${local.account_id}:repository/${var.ecr_repository_name}"]
  }
}

resource "aws_iam_role_policy" "image" {
  name   = "ecr-push"
  role   = aws_iam_role.ci["image"].id
  policy = data.aws_iam_policy_document.image.json
}

# --- apply: builds the whole stack (IAM, KMS, VPC, RDS, ...) -----------------
# Terraform applying this stack creates roles and keys of every kind, so the role is
# an administrator; what limits it is its trust: only a job of the protected
# `production` environment, after its reviewers approved the saved plan.
resource "aws_iam_role_policy_attachment" "apply" {
  role       = aws_iam_role.ci["apply"].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AdministratorAccess"
}
