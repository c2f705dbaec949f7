"""The mailer Lambda zip: deterministic, only the mail side of notify/ (handler, templates,
sender, ledger) and models/{__init__,events,tracing}.py (the event's kinds),
and runnable by a Python that has nothing but the standard library and boto3
(with boto3's own dependencies) -- imported straight from the zip."""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from notify_testkit import REGION, AwsEnv, task_event

from notify.emulator import sent_mails

REPO = Path(__file__).resolve().parents[2]


def load_builder() -> Any:
    spec = importlib.util.spec_from_file_location("taskboard_build_zip", REPO / "deploy/lambda/build_zip.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def boto3_closure() -> set[str]:
    """boto3 and the distributions it needs, transitively (the runtime's boto3)."""
    seen: set[str] = set()
    todo = ["boto3"]
    while todo:
        name = todo.pop()
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        seen.add(key)
        for req in importlib.metadata.distribution(name).requires or []:
            if "extra ==" in req:
                continue
            todo.append(re.split(r"[ ;<>=!~\[(]", req, maxsplit=1)[0])
    return seen


def stage_boto3(dest: Path) -> set[str]:
    """A directory holding only boto3's closure (symlinks into this venv); returns
    the importable top-level names."""
    dest.mkdir()
    tops: set[str] = set()
    for dist_name in boto3_closure():
        dist = importlib.metadata.distribution(dist_name)
        for file in dist.files or []:
            parts = file.parts
            if not parts or parts[0].endswith((".dist-info", ".egg-info")) or parts[0] in ("..", "bin"):
                continue
            top = parts[0]
            tops.add(top.removesuffix(".py"))
            link = dest / top
            if not link.exists():
                link.symlink_to(Path(str(dist.locate_file(top))))
    return tops


def test_zip_is_deterministic_and_minimal(tmp_path: Path) -> None:
    builder = load_builder()
    assert str(builder.DEFAULT_OUT) == "build/mailer-lambda.zip"
    one = builder.build(REPO, tmp_path / "a.zip")
    two = builder.build(REPO, tmp_path / "b.zip")
    assert hashlib.sha256(one.read_bytes()).digest() == hashlib.sha256(two.read_bytes()).digest()
    with zipfile.ZipFile(one) as zf:
        assert zf.namelist() == ["models/__init__.py", "models/events.py", "models/tracing.py", "notify/__init__.py",
                                "notify/account_mail.py", "notify/comment_mail.py", "notify/lambda_handler.py",
                                "notify/mail_ledger.py", "notify/mail_send.py", "notify/mail_words.py",
                                "notify/mailer.py", "notify/suppression.py", "notify/task_mail.py"]
        assert zf.read("models/__init__.py") == b""
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert zf.read("notify/__init__.py") == b""
        assert zf.read("notify/mailer.py") == (REPO / "notify/mailer.py").read_bytes()


_CHILD = r"""
import json, sys
zip_path, deps = sys.argv[1], sys.argv[2]
sys.path[:0] = [zip_path, deps]
event = json.loads(sys.stdin.read())
from notify import lambda_handler
assert lambda_handler.__file__.startswith(zip_path), lambda_handler.__file__
direct = lambda_handler.handler(event["direct"], None)
batch = lambda_handler.handler(event["batch"], None)
third_party = sorted({m.split(".")[0] for m in sys.modules} - set(sys.stdlib_module_names) - {"__main__"})
print(json.dumps({"direct": direct, "batch": batch, "modules": third_party}))
"""


def test_handler_runs_with_only_stdlib_and_boto3(tmp_path: Path, aws: AwsEnv) -> None:
    builder = load_builder()
    package = builder.build(REPO, tmp_path / "mailer-lambda.zip")
    allowed = stage_boto3(tmp_path / "deps")
    assert {"boto3", "botocore"} <= allowed

    # A traced change's event: without OpenTelemetry in the package the trace context is ignored.
    event = task_event(traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    again = {"messageId": "m-dup", "body": json.dumps(event)}
    broken = {"messageId": "m-bad", "body": "{not json"}
    other = task_event()
    batch = {"Records": [again, broken, {"messageId": "m-other", "body": json.dumps(other)}]}
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": aws.endpoint_url,
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "TASKBOARD_ACTIVITY_TABLE": aws.table,
        "TASKBOARD_MAIL_FROM": aws.mail_from,
    }
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _CHILD, str(package), str(tmp_path / "deps")],
        input=json.dumps({"direct": event, "batch": batch}),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["direct"] == {"sent": 2, "skipped": 0, "sms": 2}
    assert out["batch"]["batchItemFailures"] == [{"itemIdentifier": "m-bad"}]
    assert out["batch"]["sent"] == 2 and out["batch"]["skipped"] == 4  # the duplicate sent nothing
    assert set(out["modules"]) - {"notify", "models"} <= allowed, out["modules"]
    assert not {"sqlalchemy", "sqlmodel", "aioboto3", "aiobotocore", "moto"} & set(out["modules"])
    for e in (event, other):
        assert len([m for m in sent_mails() if m["event_id"] == e["detail"]["eventId"]]) == 2
