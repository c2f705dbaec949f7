"""deploy/RUNBOOK.md is the operator's side of deploy/: one entry per alarm (what
it means, where to look, how to fix it), each alarm pointing at its entry, and
the procedures it gives run against what the code and the Terraform really are."""

from __future__ import annotations

import os
import re
import subprocess
from typing import Any

import pytest
from deploy_hcl import REPO_ROOT, Terraform, load_terraform
from sqlalchemy import text

from auth.tokens import key_id
from models.db import make_engine

RUNBOOK = REPO_ROOT / "deploy" / "RUNBOOK.md"
ALARM = "aws_cloudwatch_metric_alarm"


@pytest.fixture(scope="module", name="tf")
def tf_fixture() -> Terraform:
    return load_terraform()


@pytest.fixture(scope="module", name="runbook")
def runbook_fixture() -> str:
    assert RUNBOOK.is_file(), "deploy/RUNBOOK.md is missing"
    return RUNBOOK.read_text()


def sections(runbook: str, level: int = 3) -> dict[str, str]:
    """Heading text -> the text under it, up to the next heading of this level or above."""
    out: dict[str, str] = {}
    parts = re.split(rf"^(#{{1,{level}}}) (.+)$", runbook, flags=re.MULTILINE)
    for i in range(1, len(parts) - 2, 3):
        out[parts[i + 1].strip()] = parts[i + 2]
    return out


def alarm_section(runbook: str) -> str:
    match = re.search(r"^## Alarms$(.*?)(?=^## )", runbook, flags=re.MULTILINE | re.DOTALL)
    assert match, "RUNBOOK.md has no '## Alarms' section followed by another '## ' section"
    return match.group(1)


def metric_names(alarm: dict[str, Any]) -> set[str]:
    """The metric names an alarm watches: metric_name (a literal or a conditional of
    literals) or those of its metric_query blocks."""
    found: set[str] = set()

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif key == "metric_name" and isinstance(value, str):
            quoted = re.findall(r'"([A-Za-z0-9_.-]+)"', value)
            found.update(quoted or [value])

    walk(alarm)
    return found


def test_every_alarm_has_an_entry_with_meaning_look_and_fix(tf: Terraform, runbook: str) -> None:
    alarms = tf.all_of(ALARM)
    assert len(alarms) >= 13
    entries = sections(alarm_section(runbook))
    for name, alarm in alarms.items():
        assert name in entries, f"no '### {name}' entry under '## Alarms' in RUNBOOK.md"
        body = entries[name]
        for part in ("**Means**", "**Look**", "**Fix**"):
            assert part in body, f"{name}: the entry has no {part}"
        for metric in metric_names(alarm):
            assert metric in body, f"{name}: the entry does not name the metric {metric}"
    stale = set(entries) - set(alarms)
    assert not stale, f"RUNBOOK.md has entries for alarms deploy/ does not have: {sorted(stale)}"


def test_every_alarm_description_points_at_its_entry(tf: Terraform) -> None:
    for name, alarm in tf.all_of(ALARM).items():
        description = alarm.get("alarm_description", "")
        assert f"deploy/RUNBOOK.md#{name}" in description, (name, description)
        # CloudWatch's limit; a long description is refused at apply.
        assert len(description) <= 1024, name


def test_the_key_rotation_is_wired_and_documented(tf: Terraform, runbook: str) -> None:
    rotation = sections(runbook, level=2).get("Rotating the JWT signing key", "")
    for needed in ("TASKBOARD_JWT_SECRET", "TASKBOARD_JWT_PREVIOUS_SECRET", "jwt_previous_secret_arn",
                   "force-new-deployment", "kid", "refresh token"):
        assert needed in rotation, needed
    secrets = {s["name"]: s["valueFrom"] for s in tf.locals["app_secrets"]}
    assert secrets["TASKBOARD_JWT_PREVIOUS_SECRET"] == "${aws_secretsmanager_secret.jwt_previous.arn}"
    readable = tf.data["aws_iam_policy_document"]["execution"]["statement"][0]["resources"]
    assert "${aws_secretsmanager_secret.jwt_previous.arn}" in readable
    assert tf.outputs["jwt_previous_secret_arn"]["value"] == "${aws_secretsmanager_secret.jwt_previous.arn}"


def test_the_runbooks_kid_command_computes_the_services_kid(runbook: str) -> None:
    """The operator checks which key a token names with the runbook's command: it must
    agree with auth.tokens.key_id."""
    lines = [line.strip() for line in runbook.splitlines() if "sha256sum" in line and "$secret" in line]
    assert lines, "no kid command (sha256sum of $secret) in RUNBOOK.md"
    secret = "an-example-key-" + "k" * 40
    for line in lines:
        out = subprocess.run(["bash", "-c", line], capture_output=True, text=True, check=True,
                             env={**os.environ, "secret": secret})
        assert out.stdout.strip() == key_id(secret), line


def sql_blocks(runbook: str) -> list[str]:
    return re.findall(r"^```sql\n(.*?)^```", runbook, flags=re.MULTILINE | re.DOTALL)


async def test_the_runbooks_sql_runs_on_the_schema(runbook: str, app: Any, database_url: str) -> None:
    """Every ```sql block of the runbook executes on the schema the migrations built
    (`app` migrated this database), on SQLite and on MySQL; in a transaction rolled back."""
    blocks = sql_blocks(runbook)
    assert len(blocks) >= 3
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            for block in blocks:
                statements = [s.strip() for s in re.sub(r"--[^\n]*", "", block).split(";") if s.strip()]
                for statement in statements:
                    try:
                        await conn.execute(text(statement))
                    except Exception as exc:
                        pytest.fail(f"runbook SQL failed: {statement!r}: {exc}")
            await conn.rollback()
    finally:
        await engine.dispose()


def test_restore_section_names_the_real_things(tf: Terraform, runbook: str) -> None:
    restore = sections(runbook, level=2).get("Restoring the database", "")
    assert restore, "no '## Restoring the database' section"
    archive = tf.resource("aws_cloudwatch_event_archive", "main")
    assert archive["name"] == "${local.name}-events"
    for needed in ("-events", "start-replay", "event_seq", "board_events", "next_attempt_at", "activity_conflicts",
                   "BOARD#", "--no-scan-index-forward", "MAIL#"):
        assert needed in restore, needed
