"""The Terraform in deploy/ has the architecture the issue asks for.

These tests read the HCL (python-hcl2); they do not need Terraform, AWS or
network access. Each one asserts concrete content, so removing or weakening
the corresponding Terraform makes it fail.
"""

from __future__ import annotations

import re
from typing import Any

import hcl2
import pytest
from deploy_hcl import DEPLOY_DIR, Terraform, block, blocks, load_terraform, normalize

from models.events import MAIL_DETAIL_TYPES


@pytest.fixture(scope="module", name="tf")
def tf_fixture() -> Terraform:
    return load_terraform()


def refs(expr: Any) -> str:
    return expr if isinstance(expr, str) else repr(expr)


# ---------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------
def test_availability_zones_at_least_two(tf: Terraform) -> None:
    var = tf.variables["availability_zones"]
    validation = block(var, "validation")
    assert "length(var.availability_zones) >= 2" in validation["condition"]
    assert "var.availability_zones" in tf.locals["azs"]


def test_subnets_per_az(tf: Terraform) -> None:
    for name in ("public", "private_app", "private_data"):
        subnet = tf.resource("aws_subnet", name)
        assert subnet["for_each"] == "${local.azs}", name
        assert subnet["availability_zone"] == "${each.key}", name
    assert tf.resource("aws_subnet", "public")["map_public_ip_on_launch"] is False
    assert "map_public_ip_on_launch" not in tf.resource("aws_subnet", "private_app")


def test_one_nat_gateway_per_az_in_public_subnets(tf: Terraform) -> None:
    nats = tf.all_of("aws_nat_gateway")
    assert len(nats) == 1, "expected one aws_nat_gateway block iterated over the AZs"
    (nat,) = nats.values()
    assert nat["for_each"] == "${local.azs}"
    assert nat["subnet_id"] == "${aws_subnet.public[each.key].id}"
    assert nat["allocation_id"] == "${aws_eip.nat[each.key].id}"
    assert tf.resource("aws_eip", "nat")["for_each"] == "${local.azs}"


def test_private_route_tables_per_az_use_their_own_nat(tf: Terraform) -> None:
    assert tf.resource("aws_route_table", "private_app")["for_each"] == "${local.azs}"
    route = tf.resource("aws_route", "private_app_nat")
    assert route["for_each"] == "${local.azs}"
    assert route["destination_cidr_block"] == "0.0.0.0/0"
    assert route["nat_gateway_id"] == "${aws_nat_gateway.main[each.key].id}"
    assert route["route_table_id"] == "${aws_route_table.private_app[each.key].id}"
    assoc = tf.resource("aws_route_table_association", "private_app")
    assert assoc["subnet_id"] == "${aws_subnet.private_app[each.key].id}"
    assert assoc["route_table_id"] == "${aws_route_table.private_app[each.key].id}"
    # Only the public route table reaches the internet gateway directly.
    for name, r in tf.all_of("aws_route").items():
        if "gateway_id" in r:
            assert r["route_table_id"] == "${aws_route_table.public.id}", name
    # Data subnets have no default route at all.
    for name, r in tf.all_of("aws_route").items():
        assert "private_data" not in refs(r.get("route_table_id")), name


def test_ecs_instances_db_and_cache_in_private_subnets_only(tf: Terraform) -> None:
    asg = tf.resource("aws_autoscaling_group", "ecs")
    assert "aws_subnet.private_app" in asg["vpc_zone_identifier"]
    assert "public" not in asg["vpc_zone_identifier"]
    for rtype, name in (("aws_db_subnet_group", "main"), ("aws_elasticache_subnet_group", "main")):
        ids = tf.resource(rtype, name)["subnet_ids"]
        assert "aws_subnet.private_data" in refs(ids), rtype
        assert "public" not in refs(ids), rtype
    service_net = block(tf.resource("aws_ecs_service", "app"), "network_configuration")
    assert "aws_subnet.private_app" in service_net["subnets"]
    assert service_net["assign_public_ip"] is False


def test_default_security_group_is_closed(tf: Terraform) -> None:
    sg = tf.resource("aws_default_security_group", "default")
    assert sg["vpc_id"] == "${aws_vpc.main.id}"
    assert "ingress" not in sg and "egress" not in sg


def test_vpc_flow_logs(tf: Terraform) -> None:
    flow = tf.resource("aws_flow_log", "vpc")
    assert flow["vpc_id"] == "${aws_vpc.main.id}"
    assert flow["log_destination"] == "${aws_cloudwatch_log_group.flow_logs.arn}"


# ---------------------------------------------------------------------------
# Edge
# ---------------------------------------------------------------------------
def test_alb_is_internal(tf: Terraform) -> None:
    lbs = tf.all_of("aws_lb")
    assert lbs, "no aws_lb"
    for name, lb in lbs.items():
        assert lb["internal"] is True, name
    listener = tf.resource("aws_lb_listener", "https")
    assert listener["protocol"] == "HTTPS"


def test_cloudfront_uses_origin_access_control_and_vpc_origin(tf: Terraform) -> None:
    oac = tf.resource("aws_cloudfront_origin_access_control", "web")
    assert oac["origin_access_control_origin_type"] == "s3"
    assert oac["signing_behavior"] == "always"

    vpc_origin = tf.resource("aws_cloudfront_vpc_origin", "alb")
    endpoint = block(vpc_origin, "vpc_origin_endpoint_config")
    assert endpoint["arn"] == "${aws_lb.internal.arn}"
    assert endpoint["origin_protocol_policy"] == "https-only"

    dist = tf.resource("aws_cloudfront_distribution", "main")
    origins = {o["origin_id"]: o for o in blocks(dist, "origin")}
    assert "aws_cloudfront_origin_access_control.web" in origins["web"]["origin_access_control_id"]
    assert "aws_s3_bucket.web" in origins["web"]["domain_name"]
    vpc_cfg = block(origins["alb"], "vpc_origin_config")
    assert vpc_cfg["vpc_origin_id"] == "${aws_cloudfront_vpc_origin.alb.id}"

    behaviours = {b["path_pattern"]: b for b in blocks(dist, "ordered_cache_behavior")}
    assert behaviours["/graphql"]["target_origin_id"] == "alb"
    assert block(dist, "default_cache_behavior")["target_origin_id"] == "web"
    assert "us_east_1" in tf.resource("aws_acm_certificate", "cloudfront")["provider"]


def test_web_bucket_is_private(tf: Terraform) -> None:
    pab = tf.resource("aws_s3_bucket_public_access_block", "web")
    for key in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
        assert pab[key] is True, key
    policy = tf.data["aws_iam_policy_document"]["web_bucket"]
    allow = [s for s in blocks(policy, "statement") if s.get("effect", "Allow") == "Allow"]
    assert len(allow) == 1
    assert block(allow[0], "principals")["identifiers"] == ["cloudfront.amazonaws.com"]
    assert "aws_cloudfront_distribution.main.arn" in refs(block(allow[0], "condition")["values"])


def test_api_gateway_http_api_via_vpc_link_with_throttling_and_logs(tf: Terraform) -> None:
    assert tf.resource("aws_apigatewayv2_api", "http")["protocol_type"] == "HTTP"
    link = tf.resource("aws_apigatewayv2_vpc_link", "alb")
    assert "aws_subnet.private_app" in link["subnet_ids"]
    integration = tf.resource("aws_apigatewayv2_integration", "alb")
    assert integration["connection_type"] == "VPC_LINK"
    assert integration["connection_id"] == "${aws_apigatewayv2_vpc_link.alb.id}"
    assert integration["integration_uri"] == "${aws_lb_listener.https.arn}"
    assert integration["integration_type"] == "HTTP_PROXY"
    stage = tf.resource("aws_apigatewayv2_stage", "default")
    throttling = block(stage, "default_route_settings")
    assert "throttling_rate_limit" in throttling and "throttling_burst_limit" in throttling
    logs = block(stage, "access_log_settings")
    assert logs["destination_arn"] == "${aws_cloudwatch_log_group.api_access.arn}"
    route = tf.resource("aws_apigatewayv2_route", "graphql")
    assert route["route_key"] == "POST /graphql"


# ---------------------------------------------------------------------------
# Compute
# ---------------------------------------------------------------------------
def test_launch_template_imdsv2_hop_limit_one_encrypted_ebs(tf: Terraform) -> None:
    lt = tf.resource("aws_launch_template", "ecs")
    meta = block(lt, "metadata_options")
    assert meta["http_tokens"] == "required"
    assert meta["http_put_response_hop_limit"] == 1
    ebs = block(block(lt, "block_device_mappings"), "ebs")
    assert ebs["encrypted"] is True
    assert lt["image_id"] == "${data.aws_ssm_parameter.ecs_ami.value}"
    ami = tf.data["aws_ssm_parameter"]["ecs_ami"]
    assert ami["name"].startswith("/aws/service/ecs/optimized-ami/")


def test_capacity_provider_managed_scaling_target_90(tf: Terraform) -> None:
    cp = tf.resource("aws_ecs_capacity_provider", "ec2")
    asg_provider = block(cp, "auto_scaling_group_provider")
    assert asg_provider["auto_scaling_group_arn"] == "${aws_autoscaling_group.ecs.arn}"
    scaling = block(asg_provider, "managed_scaling")
    assert scaling["status"] == "ENABLED"
    assert scaling["target_capacity"] == 90


def test_task_definition_hardening_and_secrets(tf: Terraform) -> None:
    base = tf.locals["container_base"]
    assert base["readonlyRootFilesystem"] is True
    assert base["user"] == "10001"
    assert {"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False} in base["mountPoints"]
    assert "var.image_tag" in base["image"] and "aws_ecr_repository.app" in base["image"]
    secrets = {s["name"]: s["valueFrom"] for s in tf.resolve_list(base["secrets"])}
    assert secrets["TASKBOARD_JWT_SECRET"] == "${aws_secretsmanager_secret.jwt.arn}"
    assert secrets["DB_PASSWORD"] == "${aws_secretsmanager_secret.app_db_password.arn}"
    environment = {e["name"]: e["value"] for e in tf.locals["app_environment"]}
    assert environment["TASKBOARD_ENV"] == "production"
    assert environment["TASKBOARD_PROVISION"] == "0"
    assert environment["TASKBOARD_NOTIFY_WORKER"] == "0"
    app = tf.resource("aws_ecs_task_definition", "app")
    assert app["task_role_arn"] != app["execution_role_arn"]
    assert "healthCheck" in app["container_definitions"]
    assert "/healthz" in refs(tf.locals["healthcheck_command"])
    assert "awslogs" in app["container_definitions"]


def test_task_trusts_x_forwarded_for_only_from_inside_the_vpc(tf: Terraform) -> None:
    # Behind the ALB every peer is the ALB: without this one client's failed logins block everyone.
    environment = {e["name"]: e["value"] for e in tf.locals["app_environment"]}
    vpc = tf.resource("aws_vpc", "main")
    assert vpc["cidr_block"] == "${var.vpc_cidr}"
    assert environment["TASKBOARD_TRUSTED_PROXIES"] == vpc["cidr_block"]


def test_service_circuit_breaker_and_cpu_autoscaling(tf: Terraform) -> None:
    service = tf.resource("aws_ecs_service", "app")
    breaker = block(service, "deployment_circuit_breaker")
    assert breaker["enable"] is True and breaker["rollback"] is True
    assert block(service, "load_balancer")["target_group_arn"] == "${aws_lb_target_group.app.arn}"
    policy = tf.resource("aws_appautoscaling_policy", "app_cpu")
    assert policy["policy_type"] == "TargetTrackingScaling"
    tracking = block(policy, "target_tracking_scaling_policy_configuration")
    metric = block(tracking, "predefined_metric_specification")
    assert metric["predefined_metric_type"] == "ECSServiceAverageCPUUtilization"


def test_ecr_repository(tf: Terraform) -> None:
    repo = tf.resource("aws_ecr_repository", "app")
    assert repo["image_tag_mutability"] == "IMMUTABLE"
    assert block(repo, "image_scanning_configuration")["scan_on_push"] is True
    assert block(repo, "encryption_configuration")["encryption_type"] == "KMS"


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------
def test_database_engines_encrypted_with_managed_password(tf: Terraform) -> None:
    choice = tf.variables["database_engine"]
    assert "rds-mysql" in block(choice, "validation")["condition"]
    for rtype in ("aws_db_instance", "aws_rds_cluster"):
        (db,) = tf.all_of(rtype).values()
        assert db["storage_encrypted"] is True, rtype
        assert "aws_kms_key" in db["kms_key_id"], rtype
        assert db["manage_master_user_password"] is True, rtype
        assert db["deletion_protection"] is True, rtype
        assert "backup_retention_period" in db, rtype
        for forbidden in ("password", "master_password"):
            assert forbidden not in db, f"{rtype} must not take a password"
    assert tf.resource("aws_db_instance", "main")["multi_az"] is True


def test_dynamodb_activity_table(tf: Terraform) -> None:
    table = tf.resource("aws_dynamodb_table", "activity")
    assert table["hash_key"] == "PK" and table["range_key"] == "SK"
    gsi = block(table, "global_secondary_index")
    assert gsi["name"] == "ByTask" and gsi["hash_key"] == "TaskPK" and gsi["range_key"] == "SK"
    assert block(table, "ttl")["attribute_name"] == "ExpiresAt"
    assert block(table, "point_in_time_recovery")["enabled"] is True
    sse = block(table, "server_side_encryption")
    assert sse["enabled"] is True and "aws_kms_key" in sse["kms_key_arn"]


def test_redis_encrypted_multi_az(tf: Terraform) -> None:
    redis = tf.resource("aws_elasticache_replication_group", "main")
    assert redis["at_rest_encryption_enabled"] is True
    assert redis["transit_encryption_enabled"] is True
    assert redis["multi_az_enabled"] is True
    assert redis["automatic_failover_enabled"] is True


# ---------------------------------------------------------------------------
# Events, mail, schedule: every async target has a DLQ
# ---------------------------------------------------------------------------
def test_event_rule_matches_task_changes_and_targets_lambda_with_dlq(tf: Terraform) -> None:
    rule = tf.resource("aws_cloudwatch_event_rule", "task_mail")
    assert rule["event_bus_name"] == "${aws_cloudwatch_event_bus.main.name}"
    assert "local.task_detail_types" in rule["event_pattern"]
    # One list of the detail types that mail: models.events, which the mailer ships with.
    assert tf.locals["task_detail_types"] == list(MAIL_DETAIL_TYPES)
    target = tf.resource("aws_cloudwatch_event_target", "task_mail_lambda")
    assert target["arn"] == "${aws_lambda_function.mailer.arn}"
    retry = block(target, "retry_policy")
    assert "maximum_retry_attempts" in retry and "maximum_event_age_in_seconds" in retry
    assert re.fullmatch(r"\$\{aws_sqs_queue\.\w+\.arn\}", block(target, "dead_letter_config")["arn"])
    policy = tf.data["aws_iam_policy_document"]["events_dlq"]
    statement = block(policy, "statement")
    assert block(statement, "principals")["identifiers"] == ["events.amazonaws.com"]
    assert statement["actions"] == ["sqs:SendMessage"]


def test_lambda_has_dlq_and_reserved_concurrency(tf: Terraform) -> None:
    fn = tf.resource("aws_lambda_function", "mailer")
    assert fn["handler"] == "notify.lambda_handler.handler"
    assert fn["runtime"] == "python3.12"
    assert re.fullmatch(r"\$\{aws_sqs_queue\.\w+\.arn\}", block(fn, "dead_letter_config")["target_arn"])
    assert fn["reserved_concurrent_executions"] == "${var.mailer_reserved_concurrency}"
    assert tf.variables["mailer_lambda_zip"]["default"] == "build/mailer-lambda.zip"


def test_scheduler_runs_remind_task_with_dlq(tf: Terraform) -> None:
    schedule = tf.resource("aws_scheduler_schedule", "remind")
    target = block(schedule, "target")
    assert target["arn"] == "${aws_ecs_cluster.main.arn}"
    assert target["role_arn"] == "${aws_iam_role.scheduler.arn}"
    ecs = block(target, "ecs_parameters")
    assert ecs["task_definition_arn"] == "${aws_ecs_task_definition.remind.arn}"
    assert re.fullmatch(r"\$\{aws_sqs_queue\.\w+\.arn\}", block(target, "dead_letter_config")["arn"])
    assert '"remind"' in tf.resource("aws_ecs_task_definition", "remind")["container_definitions"]


def test_scheduler_runs_prune_task_daily_with_dlq(tf: Terraform) -> None:
    schedule = tf.resource("aws_scheduler_schedule", "prune")
    assert schedule["schedule_expression"] == "${var.prune_schedule_expression}"
    assert re.fullmatch(r"cron\(\d+ \d+ \* \* \? \*\)", tf.variables["prune_schedule_expression"]["default"])
    target = block(schedule, "target")
    assert target["arn"] == "${aws_ecs_cluster.main.arn}"
    assert target["role_arn"] == "${aws_iam_role.scheduler.arn}"
    ecs = block(target, "ecs_parameters")
    assert ecs["task_definition_arn"] == "${aws_ecs_task_definition.prune.arn}"
    assert "aws_subnet.private_app" in block(ecs, "network_configuration")["subnets"]
    assert re.fullmatch(r"\$\{aws_sqs_queue\.\w+\.arn\}", block(target, "dead_letter_config")["arn"])
    task = tf.resource("aws_ecs_task_definition", "prune")
    assert '"prune"' in task["container_definitions"]
    assert "local.container_base" in task["container_definitions"]  # the app's image, secrets and settings
    run = [s for s in blocks(tf.data["aws_iam_policy_document"]["scheduler"], "statement")
           if s.get("actions") == ["ecs:RunTask"]]
    assert any("aws_ecs_task_definition.prune" in refs(s["resources"]) for s in run)
    # The server (its RELOAD answer) and prune read the same retention.
    env = {e["name"]: e["value"] for e in tf.locals["app_environment"]}
    assert env["TASKBOARD_EVENT_RETENTION_DAYS"] == "${tostring(var.event_retention_days)}"
    assert tf.variables["event_retention_days"]["default"] == 30


def test_every_sqs_queue_is_encrypted_and_dead_lettered_queues_exist(tf: Terraform) -> None:
    queues = tf.all_of("aws_sqs_queue")
    assert len(queues) >= 3
    for name, queue in queues.items():
        assert queue.get("sqs_managed_sse_enabled") is True or "kms_master_key_id" in queue, name
    referenced = set(re.findall(r"aws_sqs_queue\.(\w+)\.arn", "\n".join(tf.files.values())))
    assert {"events_dlq", "mailer_dlq", "scheduler_dlq"} <= referenced
    assert referenced <= set(queues)


def test_ses_dkim_and_sms_preferences(tf: Terraform) -> None:
    identity = tf.resource("aws_sesv2_email_identity", "mail")
    assert "dkim_signing_attributes" in identity
    dkim = tf.resource("aws_route53_record", "dkim")
    assert dkim["count"] == 3 and dkim["type"] == "CNAME"
    assert "dkim.amazonses.com" in refs(dkim["records"])
    sms = tf.resource("aws_sns_sms_preferences", "main")
    assert sms["default_sms_type"] == "Transactional"
    assert "monthly_spend_limit" in sms and "default_sender_id" in sms


# ---------------------------------------------------------------------------
# Operations
# ---------------------------------------------------------------------------
REQUIRED_ALARMS = [
    ("AWS/ECS", "CPUUtilization"),
    ("AWS/ECS", "MemoryUtilization"),
    ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"),
    ("AWS/ApplicationELB", "TargetResponseTime"),
    ("AWS/RDS", "CPUUtilization"),
    ("AWS/RDS", "FreeStorageSpace"),
    ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
    ("AWS/Lambda", "Errors"),
    ("AWS/Events", "FailedInvocations"),
    ("Taskboard", "OutboxOldestAgeSeconds"),
    ("Taskboard", "RedisUp"),
    ("Taskboard", "ActivityConflicts"),
]


@pytest.mark.parametrize(("namespace", "metric"), REQUIRED_ALARMS)
def test_alarm_present(tf: Terraform, namespace: str, metric: str) -> None:
    alarms = tf.all_of("aws_cloudwatch_metric_alarm").values()
    matching = [a for a in alarms if a.get("namespace") == namespace and metric in a.get("metric_name", "")]
    assert matching, f"no alarm on {namespace}/{metric}"
    for alarm in matching:
        actions = refs(alarm.get("alarm_actions", ""))
        assert "aws_sns_topic.alarms" in actions or "local.alarm_actions" in actions


def test_redis_down_and_activity_conflicts_alarm_on_the_service_metrics(tf: Terraform) -> None:
    redis = tf.resource("aws_cloudwatch_metric_alarm", "redis_down")
    assert (redis["namespace"], redis["metric_name"], redis["statistic"]) == ("Taskboard", "RedisUp", "Minimum")
    assert redis["comparison_operator"] == "LessThanThreshold" and redis["threshold"] == 1
    conflicts = tf.resource("aws_cloudwatch_metric_alarm", "activity_conflicts")
    assert (conflicts["namespace"], conflicts["metric_name"]) == ("Taskboard", "ActivityConflicts")
    assert conflicts["statistic"] == "Sum" and conflicts["comparison_operator"] == "GreaterThanThreshold"
    assert conflicts["threshold"] == 0
    # The ALB must keep probing readiness, which no longer includes Redis.
    assert block(tf.resource("aws_lb_target_group", "app"), "health_check")["path"] == "/readyz"


def test_every_dlq_has_a_depth_alarm(tf: Terraform) -> None:
    alarm = tf.resource("aws_cloudwatch_metric_alarm", "dlq_not_empty")
    assert alarm["for_each"] == "${local.dead_letter_queues}"
    watched = refs(tf.locals["dead_letter_queues"])
    dlqs = [name for name in tf.all_of("aws_sqs_queue") if name.endswith("dlq")]
    assert dlqs
    for name in dlqs:
        assert f"aws_sqs_queue.{name}.name" in watched, name


def test_log_groups_encrypted_with_retention(tf: Terraform) -> None:
    groups = tf.all_of("aws_cloudwatch_log_group")
    assert len(groups) >= 5
    for name, group in groups.items():
        assert "aws_kms_key" in group.get("kms_key_id", ""), name
        assert "retention_in_days" in group, name


# ---------------------------------------------------------------------------
# IAM and secrets
# ---------------------------------------------------------------------------
def _policy_actions(terraform: Terraform) -> list[tuple[str, str]]:
    found = []
    for doc_name, doc in terraform.data.get("aws_iam_policy_document", {}).items():
        for statement in blocks(doc, "statement"):
            for key in ("actions", "not_actions"):
                if key in statement:
                    for action in terraform.resolve_list(statement[key]):
                        found.append((doc_name, action))
    return found


def test_no_wildcard_in_iam_actions(tf: Terraform) -> None:
    actions = _policy_actions(tf)
    assert len(actions) > 40, "expected the policy documents to be parsed"
    assert ("kms", "kms:PutKeyPolicy") in actions  # resolved through local lists
    bad = [(doc, action) for doc, action in actions if "*" in action]
    assert not bad, f"wildcard actions: {bad}"
    # jsonencode'd policies, if any, must not carry wildcard actions either.
    for name, text in tf.files.items():
        for match in re.finditer(r"Action\s*=\s*(\[[^\]]*\]|\"[^\"]*\")", text):
            assert "*" not in match.group(1), f"{name}: {match.group(0)}"


def test_no_admin_managed_policies(tf: Terraform) -> None:
    for name, attachment in tf.all_of("aws_iam_role_policy_attachment").items():
        assert "AdministratorAccess" not in attachment["policy_arn"], name
        assert "FullAccess" not in attachment["policy_arn"], name


def test_mailer_least_privilege(tf: Terraform) -> None:
    doc = tf.data["aws_iam_policy_document"]["mailer"]
    by_sid = {s["sid"]: s for s in blocks(doc, "statement")}
    ses = by_sid["SendMailFromTheVerifiedIdentityOnly"]
    assert sorted(ses["actions"]) == ["ses:SendEmail", "ses:SendRawEmail"]
    # Sending through a configuration set needs the permission on it too.
    assert ses["resources"] == ["${aws_sesv2_email_identity.mail.arn}", "${aws_sesv2_configuration_set.main.arn}"]
    # A failed send releases its marker so the retry mails (notify.mailer.release_marker).
    # Claim (put; read back when its answer is lost), move to sending and confirm as
    # sent (update), release on a failed send (delete).
    assert by_sid["MailIdempotency"]["actions"] == ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem",
                                                    "dynamodb:DeleteItem"]
    assert by_sid["MailIdempotency"]["resources"] == ["${aws_dynamodb_table.activity.arn}"]


def test_task_role_permissions(tf: Terraform) -> None:
    doc = tf.data["aws_iam_policy_document"]["task"]
    by_sid = {s["sid"]: s for s in blocks(doc, "statement")}
    expected = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"]
    assert sorted(by_sid["ActivityTable"]["actions"]) == expected
    assert by_sid["PublishEvents"]["actions"] == ["events:PutEvents"]
    assert by_sid["PublishEvents"]["resources"] == ["${aws_cloudwatch_event_bus.main.arn}"]


def test_no_secret_values_in_variables_state_or_outputs(tf: Terraform) -> None:
    for name in tf.variables:
        assert not re.search(r"password|secret|token|private_key", name), f"variable {name} looks secret"
    for name, version in tf.all_of("aws_secretsmanager_secret_version").items():
        assert "secret_string" not in version and "secret_binary" not in version, f"{name}: value in state"
        assert "secret_string_wo" in version and "secret_string_wo_version" in version, name
    # One deliberate exception: the Redis AUTH token (the replication group's
    # write-only auth_token_wo is in no provider release this could pin; README).
    assert set(tf.all_of("random_password")) == {"redis_auth"}, "random_password stores the value in state"
    for name, output in tf.outputs.items():
        value = refs(output["value"])
        assert "secret_string" not in value and "auth_token" not in value, name
        assert output.get("sensitive") is not True, f"{name}: outputs must not need to be sensitive"
    assert "aws_secretsmanager_secret" in tf.resources
    assert tf.resource("aws_secretsmanager_secret", "jwt")["kms_key_id"] == "${aws_kms_key.main.arn}"


def test_remote_state_s3_with_lockfile(tf: Terraform) -> None:
    backends = [b for t in tf.terraform for b in blocks(t, "backend")]
    assert backends, "no backend block"
    s3 = backends[0]["s3"]
    assert s3["use_lockfile"] is True
    assert "bucket" not in s3, "bucket comes from -backend-config"


def test_tfvars_example_matches_variables(tf: Terraform) -> None:
    example = normalize(hcl2.loads((DEPLOY_DIR / "terraform.tfvars.example").read_text()))
    example = {k: v for k, v in example.items() if not k.startswith("__")}
    unknown = set(example) - set(tf.variables)
    assert not unknown, f"undeclared variables in example: {unknown}"
    required = {name for name, var in tf.variables.items() if "default" not in var}
    assert required <= set(example), f"required variables missing from example: {required - set(example)}"
    for name, var in tf.variables.items():
        assert var.get("description"), f"variable {name} has no description"


# ---------------------------------------------------------------------------
# Data path (issue 14, item 5)
# ---------------------------------------------------------------------------
def _container(tf: Terraform, task: str) -> dict[str, Any]:
    """A one-off task's container: container_base merged with what the task sets."""
    text = tf.resource("aws_ecs_task_definition", task)["container_definitions"]
    base = dict(tf.locals["container_base"])
    for key in ("environment", "secrets"):
        found = re.search(key + r'"?\s*[=:]\s*(\$\{)?(concat\([^)]*\))', text)
        if found:
            inherited = str(base[key]).removeprefix("${").removesuffix("}")
            base[key] = "${" + found.group(2).replace(f"local.container_base.{key}", inherited) + "}"
    return base


def _named(tf: Terraform, expr: Any, value: str) -> dict[str, str]:
    return {item["name"]: item[value] for item in tf.resolve_list(expr)}


def test_mysql_tls_is_required_by_the_database_and_the_service(tf: Terraform) -> None:
    assert tf.variables["db_require_tls"]["default"] is True
    mysql = block(tf.resource("aws_db_parameter_group", "mysql"), "parameter")
    assert mysql["name"] == "require_secure_transport" and "var.db_require_tls" in mysql["value"]
    aurora = block(tf.resource("aws_rds_cluster_parameter_group", "aurora"), "parameter")
    assert aurora["name"] == "require_secure_transport" and "var.db_require_tls" in aurora["value"]
    for task in ("app", "migrate", "remind", "prune"):
        env = _named(tf, _container(tf, task)["environment"], "value")
        assert env["TASKBOARD_DATABASE_TLS"] == "require", task


def test_serve_remind_prune_connect_as_the_app_user_and_only_migrate_as_the_master(tf: Terraform) -> None:
    master = "local.db_secret_arn"
    for task in ("app", "remind", "prune"):
        container = _container(tf, task)
        env, secrets = _named(tf, container["environment"], "value"), _named(tf, container["secrets"], "valueFrom")
        assert env["DB_USERNAME"] == "${var.app_db_username}", task
        assert secrets["DB_PASSWORD"] == "${aws_secretsmanager_secret.app_db_password.arn}", task
        assert not any(master in v for v in secrets.values()), f"{task} can read the master credentials"
        assert "TASKBOARD_APP_DB_PASSWORD" not in secrets, task
    migrate = _container(tf, "migrate")
    env, secrets = _named(tf, migrate["environment"], "value"), _named(tf, migrate["secrets"], "valueFrom")
    assert master in secrets["DB_USERNAME"] and master in secrets["DB_PASSWORD"]
    assert secrets["TASKBOARD_APP_DB_PASSWORD"] == "${aws_secretsmanager_secret.app_db_password.arn}"
    assert env["TASKBOARD_APP_DB_USER"] == "${var.app_db_username}"
    assert "DB_USERNAME" not in env
    # The app user's password never passes through state or plan.
    version = tf.resource("aws_secretsmanager_secret_version", "app_db_password")
    assert version["secret_string_wo"] == "${ephemeral.random_password.app_db.result}"
    assert "aws_secretsmanager_secret.app_db_password.arn" in refs(tf.data["aws_iam_policy_document"]["execution"])


def _statements(tf: Terraform, doc: str) -> dict[str, dict[str, Any]]:
    return {s["sid"]: s for s in blocks(tf.data["aws_iam_policy_document"][doc], "statement")}


def test_each_task_has_the_role_of_what_it_does(tf: Terraform) -> None:
    roles = {t: tf.resource("aws_ecs_task_definition", t)["task_role_arn"] for t in ("app", "migrate", "remind", "prune")}
    assert roles["app"] == "${aws_iam_role.task.arn}"
    assert roles["remind"] == "${aws_iam_role.task_remind.arn}"
    assert roles["migrate"] == roles["prune"] == "${aws_iam_role.task_database_only.arn}"
    # migrate and prune: no AWS API at all.
    attached = [refs(p["role"]) for p in tf.all_of("aws_iam_role_policy").values()]
    attached += [refs(p["role"]) for p in tf.all_of("aws_iam_role_policy_attachment").values()]
    assert not any("task_database_only" in r for r in attached)
    # serve sends no mail: the mailer Lambda and `taskboard remind` do.
    serve = refs(tf.data["aws_iam_policy_document"]["task"])
    assert "ses:" not in serve and "dynamodb:DeleteItem" not in serve
    remind = _statements(tf, "task_remind")
    assert sorted(remind["ReminderMail"]["actions"]) == ["ses:SendEmail", "ses:SendRawEmail"]
    assert "${aws_sesv2_configuration_set.main.arn}" in remind["ReminderMail"]["resources"]
    text = refs(tf.data["aws_iam_policy_document"]["task_remind"])
    assert "events:" not in text and "cloudwatch:" not in text and "sns:" not in text
    # The scheduler may hand the scheduled tasks their roles, and not the service's.
    passed = _statements(tf, "scheduler")["PassTaskRoles"]["resources"]
    assert "${aws_iam_role.task_remind.arn}" in passed and "${aws_iam_role.task_database_only.arn}" in passed
    assert "${aws_iam_role.task.arn}" not in passed


def test_redis_auth_comes_from_terraform_not_a_manual_step(tf: Terraform) -> None:
    redis = tf.resource("aws_elasticache_replication_group", "main")
    assert redis["auth_token"] == "${random_password.redis_auth.result}"
    assert "ignore_changes" not in refs(redis.get("lifecycle", {}))
    url = tf.resource("aws_secretsmanager_secret_version", "redis_url")
    assert url["secret_id"] == "${aws_secretsmanager_secret.redis_url.id}"
    assert "random_password.redis_auth.result" in url["secret_string_wo"]
    assert url["secret_string_wo"].startswith("rediss://")
    assert "primary_endpoint_address" in url["secret_string_wo"]
    providers = {k: v for t in tf.terraform for p in blocks(t, "required_providers") for k, v in p.items()}
    assert providers["random"]["source"] == "hashicorp/random"
    assert "--auth-token" not in (DEPLOY_DIR / "README.md").read_text(), "the README still sets the token by hand"


def test_checkov_skips_for_database_tls_and_redis_auth_are_gone() -> None:
    skipped = re.findall(r"^\s*-\s*(CKV\S+)", (DEPLOY_DIR / ".checkov.yaml").read_text(), re.MULTILINE)
    assert skipped and "CKV2_AWS_69" not in skipped and "CKV_AWS_31" not in skipped


# ---------------------------------------------------------------------------
# Mail reputation (issue 14, item 6)
# ---------------------------------------------------------------------------
def test_every_send_goes_through_the_configuration_set(tf: Terraform) -> None:
    config_set = tf.resource("aws_sesv2_configuration_set", "main")
    assert block(config_set, "suppression_options")["suppressed_reasons"] == ["BOUNCE", "COMPLAINT"]
    assert block(config_set, "reputation_options")["reputation_metrics_enabled"] is True
    name = "${aws_sesv2_configuration_set.main.configuration_set_name}"
    lambda_env = block(tf.resource("aws_lambda_function", "mailer"), "environment")["variables"]
    assert lambda_env["TASKBOARD_SES_CONFIGURATION_SET"] == name
    env = _named(tf, _container(tf, "remind")["environment"], "value")
    assert env["TASKBOARD_SES_CONFIGURATION_SET"] == name
    account = tf.resource("aws_sesv2_account_suppression_attributes", "main")
    assert account["suppressed_reasons"] == ["BOUNCE", "COMPLAINT"]


def test_bounces_and_complaints_reach_the_mailer(tf: Terraform) -> None:
    dest = tf.resource("aws_sesv2_configuration_set_event_destination", "bounces_and_complaints")
    assert dest["configuration_set_name"] == "${aws_sesv2_configuration_set.main.configuration_set_name}"
    inner = block(dest, "event_destination")
    assert inner["enabled"] is True and sorted(inner["matching_event_types"]) == ["BOUNCE", "COMPLAINT"]
    assert block(inner, "event_bridge_destination")["event_bus_arn"].endswith("event-bus/default")
    rule = tf.resource("aws_cloudwatch_event_rule", "mail_feedback")
    assert rule["event_bus_name"] == "default"
    pattern = rule["event_pattern"]
    assert "aws.ses" in pattern and "Email Bounced" in pattern and "Email Complaint Received" in pattern
    target = tf.resource("aws_cloudwatch_event_target", "mail_feedback_lambda")
    assert target["arn"] == "${aws_lambda_function.mailer.arn}" and target["event_bus_name"] == "default"
    permission = tf.resource("aws_lambda_permission", "mail_feedback_invoke_mailer")
    assert permission["source_arn"] == "${aws_cloudwatch_event_rule.mail_feedback.arn}"
    assert "aws_cloudwatch_event_rule.mail_feedback.arn" in refs(tf.data["aws_iam_policy_document"]["events_dlq"])


def test_alarms_on_the_ses_bounce_and_complaint_rates(tf: Terraform) -> None:
    for name, metric, limit in (("ses_bounce_rate", "Reputation.BounceRate", 0.05),
                                ("ses_complaint_rate", "Reputation.ComplaintRate", 0.001)):
        alarm = tf.resource("aws_cloudwatch_metric_alarm", name)
        assert (alarm["namespace"], alarm["metric_name"]) == ("AWS/SES", metric)
        assert alarm["alarm_actions"] == "${local.alarm_actions}"
        variable = alarm["threshold"].removeprefix("${var.").removesuffix("}")
        assert 0 < tf.variables[variable]["default"] < limit, "alarm before SES starts a review"


def test_sms_spend_limit_is_set_and_said_to_be_account_wide(tf: Terraform) -> None:
    sms = tf.resource("aws_sns_sms_preferences", "main")
    assert sms["monthly_spend_limit"] == "${var.sms_monthly_spend_limit}"
    assert "account" in tf.variables["sms_monthly_spend_limit"]["description"].lower()
    readme = (DEPLOY_DIR / "README.md").read_text()
    assert "SMS spend limit" in readme and "account-wide" in readme
