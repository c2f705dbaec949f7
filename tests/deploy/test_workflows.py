"""The path from a merge to a running board, read from the workflows and deploy/:
GitHub CI runs what .ci/run runs; the deploy plans, waits for approval, applies the
saved plan; each job assumes a role (deploy/bootstrap) trusted for exactly the OIDC
subject that job runs as; the web board is built against the public API."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from deploy_hcl import DEPLOY_DIR, REPO_ROOT, Terraform, block, load_terraform

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
# repository variable -> bootstrap role key
ROLE_VARIABLES = {
    "AWS_PLAN_PR_ROLE_ARN": "plan_pr",
    "AWS_PLAN_ROLE_ARN": "plan",
    "AWS_IMAGE_ROLE_ARN": "image",
    "AWS_APPLY_ROLE_ARN": "apply",
}


def workflow(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return loaded


def steps_text(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) + str(step.get("uses", "")) + str(step.get("with", ""))
                     for step in job.get("steps", []))


@pytest.fixture(scope="module", name="bootstrap")
def bootstrap_fixture() -> Terraform:
    return Terraform(DEPLOY_DIR / "bootstrap")


@pytest.fixture(scope="module", name="tf")
def tf_fixture() -> Terraform:
    return load_terraform()


def job_subject(job: dict[str, Any]) -> str:
    """The OIDC `sub` GitHub gives this job's token (repository part left out)."""
    env = job.get("environment")
    if env:
        return f"environment:{env if isinstance(env, str) else env['name']}"
    if "pull_request" in str(job.get("if", "")):
        return "pull_request"
    assert "push" in str(job.get("if", "")), f"job runs on an event this test does not know: {job.get('if')}"
    return "ref:refs/heads/main"


def test_github_ci_runs_what_ci_run_runs_on_the_images_python() -> None:
    ci = workflow("ci.yml")
    triggers = ci.get("on", ci.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "workflow_call" in triggers and "pull_request" in triggers
    (job,) = ci["jobs"].values()
    assert "bash .ci/run" in steps_text(job)
    assert {"mariadb", "redis"} <= set(job["services"])
    python = next(s["with"]["python-version"] for s in job["steps"] if "setup-python" in s.get("uses", ""))
    image_python = re.search(r"PYTHON_IMAGE=python:(\d+\.\d+)", (REPO_ROOT / "Dockerfile").read_text())
    assert image_python and python == image_python.group(1)
    assert job["env"]["DEPLOY_CHECKS_REQUIRE_ACTIONLINT"] == "1"
    assert job["env"]["SECURITY_REQUIRE_AUDIT"] == "1"
    # .ci/run makes MySQL, Redis and the browser required; GitHub only names its browser.
    run = (REPO_ROOT / ".ci" / "run").read_text()
    for flag in ("TASKBOARD_TEST_REQUIRE_MYSQL=1", "TASKBOARD_TEST_REQUIRE_REDIS=1",
                 "TASKBOARD_TEST_REQUIRE_BROWSER=1", "make test"):
        assert flag in run


def test_deploy_is_gated_on_ci_and_applies_the_approved_saved_plan() -> None:
    jobs = workflow("deploy.yml")["jobs"]
    assert jobs["ci"]["uses"] == "./.github/workflows/ci.yml"
    assert jobs["image"]["needs"] == "ci" and jobs["plan"]["needs"] == "ci"
    assert set(jobs["apply"]["needs"]) == {"image", "plan"}
    assert jobs["apply"]["environment"] == "production"
    plan, apply = steps_text(jobs["plan"]), steps_text(jobs["apply"])
    assert "-out=tfplan" in plan and "upload-artifact" in plan and "deploy/tfplan" in plan
    assert "download-artifact" in apply
    assert "terraform apply -auto-approve tfplan" in apply
    assert "terraform plan" not in apply, "apply must run the plan the reviewers saw, not a new one"
    # Migrations run on the new image before the saved plan rolls the service.
    assert apply.index("scripts/migrate.sh") < apply.index("terraform apply -auto-approve tfplan")
    assert (DEPLOY_DIR / "scripts" / "migrate.sh").is_file()
    # Pull requests get a plan as a comment, never an apply.
    pr = steps_text(jobs["plan-pr"])
    assert "terraform plan" in pr and "createComment" in pr and "terraform apply" not in pr
    assert "smoke.py" in steps_text(jobs["smoke"]) and jobs["smoke"]["needs"] == "apply"


def test_each_job_assumes_a_role_trusted_for_exactly_its_subject(bootstrap: Terraform) -> None:
    subjects = bootstrap.locals["subjects"]
    used: set[str] = set()
    for name, job in workflow("deploy.yml")["jobs"].items():
        for step in job.get("steps", []):
            if "configure-aws-credentials" not in step.get("uses", ""):
                continue
            variable = re.fullmatch(r"\$\{\{ vars\.(\w+) \}\}", step["with"]["role-to-assume"])
            assert variable, step
            role = ROLE_VARIABLES[variable.group(1)]
            used.add(role)
            assert subjects[role] == "repo:${var.github_repository}:" + job_subject(job), (name, role)
            perms = job.get("permissions", {})
            assert perms.get("id-token") == "write", f"{name} needs id-token: write for OIDC"
    assert used == set(subjects), "every bootstrap role is used by a job, and only those"
    trust = bootstrap.data["aws_iam_policy_document"]["trust"]
    conditions = {c["variable"]: c for c in trust["statement"][0]["condition"]}
    assert conditions["${local.issuer}:sub"]["test"] == "StringEquals"
    assert conditions["${local.issuer}:aud"]["values"] == ["sts.amazonaws.com"]


def test_read_only_roles_cannot_change_anything(bootstrap: Terraform) -> None:
    attachments = bootstrap.resources["aws_iam_role_policy_attachment"]
    assert attachments["read_only"]["policy_arn"].endswith(":policy/ReadOnlyAccess")
    assert attachments["read_only"]["for_each"] == '${toset(["plan_pr", "plan"])}'
    image = bootstrap.data["aws_iam_policy_document"]["image"]
    actions = {a for s in image["statement"] for a in s["actions"]}
    assert actions <= {"ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage",
                       "ecr:CompleteLayerUpload", "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload",
                       "ecr:PutImage", "ecr:UploadLayerPart"}


def test_the_web_board_reaches_the_api_it_is_built_for(tf: Terraform) -> None:
    apply = workflow("deploy.yml")["jobs"]["apply"]
    build = next(s for s in apply["steps"] if "npm run build" in str(s.get("run", "")))
    assert build["env"]["VITE_API_URL"] == "${{ steps.urls.outputs.api_url }}"
    urls = next(s for s in apply["steps"] if s.get("id") == "urls")
    assert "terraform output -raw api_url" in urls["run"]
    assert tf.outputs["api_url"]["value"] == "https://${local.api_fqdn}/graphql"
    # HTTP GraphQL: API Gateway's POST route, with CORS for the web board's origin.
    route = tf.resource("aws_apigatewayv2_route", "graphql")
    assert route["route_key"] == "POST /graphql"
    cors = block(tf.resource("aws_apigatewayv2_api", "http"), "cors_configuration")
    assert '["https://${local.app_fqdn}"]' in cors["allow_origins"]
    assert {"POST", "OPTIONS"} <= set(cors["allow_methods"])
    assert {"authorization", "content-type"} <= set(cors["allow_headers"])
    # Websockets: same origin, CloudFront's /graphql behaviour (GET upgrades) to the ALB.
    behaviour = tf.resource("aws_cloudfront_distribution", "main")["ordered_cache_behavior"]
    graphql = next(b for b in (behaviour if isinstance(behaviour, list) else [behaviour])
                   if b["path_pattern"] == "/graphql")
    assert graphql["target_origin_id"] == "alb" and "GET" in graphql["allowed_methods"]
    config = (REPO_ROOT / "web" / "src" / "config.ts").read_text()
    assert "VITE_API_URL" in config and "VITE_WS_URL" in config
