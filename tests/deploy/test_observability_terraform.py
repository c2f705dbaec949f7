"""Issue 14 items 8 and 9 in deploy/: the ADOT collector beside the service, the
task role allowed to hand X-Ray its traces, the alarms on capacity, targets,
DynamoDB throttles and the public API, and the dashboard (read with python-hcl2)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from deploy_hcl import Terraform, blocks, load_terraform


@pytest.fixture(scope="module", name="tf")
def tf_fixture() -> Terraform:
    return load_terraform()


def text(expr: Any) -> str:
    return expr if isinstance(expr, str) else repr(expr)


def test_the_app_task_runs_the_adot_collector_beside_the_service(tf: Terraform) -> None:
    app = text(tf.resource("aws_ecs_task_definition", "app")["container_definitions"])
    assert "local.otel_collector_container" in app
    assert "local.tracing_environment" in app and "local.otel_container_name" in app
    collector = tf.locals["otel_collector_container"]
    assert collector["image"] == "${var.otel_collector_image}"
    assert tf.variables["otel_collector_image"]["default"].startswith(
        "public.ecr.aws/aws-observability/aws-otel-collector:v")
    assert collector["readonlyRootFilesystem"] is True and collector["essential"] is False
    assert "AOT_CONFIG_CONTENT" in text(collector["environment"])
    config = tf.locals["otel_collector_config"]
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"] == "127.0.0.1:4318"
    assert config["service"]["pipelines"]["traces"]["exporters"] == ["awsxray"]
    assert "awsxray" in config["exporters"]


def test_the_service_sends_its_traces_to_the_sidecar(tf: Terraform) -> None:
    env = {e["name"]: e["value"] for e in tf.locals["tracing_environment"]}
    assert env["TASKBOARD_TRACING"] == "otlp"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:4318"


def test_the_task_role_may_put_trace_segments(tf: Terraform) -> None:
    policy = tf.resource("aws_iam_role_policy", "task_tracing")
    assert policy["role"] == "${aws_iam_role.task.id}"
    [statement] = blocks(tf.data["aws_iam_policy_document"]["task_tracing"], "statement")
    assert {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
            "xray:GetSamplingTargets"} <= set(statement["actions"])


def _queries(alarm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {q["id"]: q for q in blocks(alarm, "metric_query")}


def _metric(query: dict[str, Any]) -> dict[str, Any]:
    [metric] = blocks(query, "metric")
    return metric


def test_running_tasks_below_desired_alarm(tf: Terraform) -> None:
    alarm = tf.resource("aws_cloudwatch_metric_alarm", "ecs_running_below_desired")
    queries = _queries(alarm)
    assert queries["missing"]["expression"] == "desired - running" and queries["missing"]["return_data"] is True
    assert _metric(queries["running"])["metric_name"] == "RunningTaskCount"
    assert _metric(queries["desired"])["metric_name"] == "DesiredTaskCount"
    assert _metric(queries["running"])["namespace"] == "ECS/ContainerInsights"
    assert alarm["comparison_operator"] == "GreaterThanThreshold" and alarm["threshold"] == 0
    assert alarm["alarm_actions"] == "${local.alarm_actions}"
    # Container Insights publishes those metrics only when it is on.
    cluster = tf.resource("aws_ecs_cluster", "main")
    assert {"name": "containerInsights", "value": "enabled"} in blocks(cluster, "setting")


def test_unhealthy_targets_alarm(tf: Terraform) -> None:
    alarm = tf.resource("aws_cloudwatch_metric_alarm", "alb_unhealthy_targets")
    assert (alarm["namespace"], alarm["metric_name"]) == ("AWS/ApplicationELB", "UnHealthyHostCount")
    assert "aws_lb_target_group.app.arn_suffix" in text(alarm["dimensions"])
    assert alarm["threshold"] == 0 and alarm["comparison_operator"] == "GreaterThanThreshold"
    assert alarm["alarm_actions"] == "${local.alarm_actions}"


def test_dynamodb_throttles_alarm(tf: Terraform) -> None:
    alarm = tf.resource("aws_cloudwatch_metric_alarm", "dynamodb_throttles")
    queries = _queries(alarm)
    names = {_metric(q)["metric_name"] for q in queries.values() if blocks(q, "metric")}
    assert names == {"ReadThrottleEvents", "WriteThrottleEvents"}
    for q in queries.values():
        if blocks(q, "metric"):
            assert "aws_dynamodb_table.activity.name" in text(_metric(q)["dimensions"])
    assert alarm["alarm_actions"] == "${local.alarm_actions}"


@pytest.mark.parametrize(("name", "metric"), [("api_5xx", "5xx"), ("api_latency", "Latency")])
def test_public_api_alarms(tf: Terraform, name: str, metric: str) -> None:
    alarm = tf.resource("aws_cloudwatch_metric_alarm", name)
    assert (alarm["namespace"], alarm["metric_name"]) == ("AWS/ApiGateway", metric)
    # An HTTP API's metrics are per ApiId (and Stage), not ApiName.
    assert "aws_apigatewayv2_api.http.id" in text(alarm["dimensions"])
    assert alarm["alarm_actions"] == "${local.alarm_actions}"


def test_redis_and_ses_reputation_alarms_exist(tf: Terraform) -> None:
    alarms = tf.all_of("aws_cloudwatch_metric_alarm").values()
    watched = {(a.get("namespace"), a.get("metric_name")) for a in alarms}
    assert ("Taskboard", "RedisUp") in watched
    assert ("AWS/SES", "Reputation.BounceRate") in watched and ("AWS/SES", "Reputation.ComplaintRate") in watched


def test_dashboard_shows_what_the_alarms_watch(tf: Terraform) -> None:
    dashboard = tf.resource("aws_cloudwatch_dashboard", "main")
    assert "local.dashboard_widgets" in text(dashboard["dashboard_body"])
    widgets = tf.locals["dashboard_widgets"]
    shown: set[tuple[str, str]] = set()
    for widget in widgets:
        for m in widget["metrics"]:
            if isinstance(m, str):  # concat(["Namespace", "Metric"], local.dims, [...])
                found = re.search(r'concat\(\["([^"]+)", "([^"]+)"\]', m)
                assert found, m
                shown.add((found.group(1), found.group(2)))
            else:
                shown.add((m[0], m[1]))
    for metric in [("AWS/ApiGateway", "5xx"), ("AWS/ApiGateway", "Latency"),
                   ("AWS/ApplicationELB", "UnHealthyHostCount"), ("ECS/ContainerInsights", "RunningTaskCount"),
                   ("Taskboard", "OutboxOldestAgeSeconds"), ("Taskboard", "RedisUp"),
                   ("AWS/DynamoDB", "WriteThrottleEvents"), ("AWS/SES", "Reputation.BounceRate")]:
        assert metric in shown, metric
    assert all(w["title"] for w in widgets)
