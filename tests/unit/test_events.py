"""models.events is the one home of the event's kinds: the contract's enums and
detail types are all in it, and the mailer Lambda can import it alone."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from graphql import GraphQLEnumType
from graphql import build_schema as parse_sdl

from models import events
from tests.api.helpers import SPEC_DIR

REPO = Path(__file__).resolve().parents[2]


def _contract_enum(name: str) -> set[str]:
    enum = parse_sdl((SPEC_DIR / "schema.graphql").read_text()).type_map[name]
    assert isinstance(enum, GraphQLEnumType)
    return set(enum.values)


def test_every_contract_kind_is_known() -> None:
    assert _contract_enum("BoardEventKind") <= {k.value for k in events.BoardEventKind}
    assert _contract_enum("ActivityKind") <= {k.value for k in events.ActivityKind}


def test_every_activity_kind_has_a_detail_type_and_a_log_type() -> None:
    assert set(events.DETAIL_TYPES) == set(events.ActivityKind)
    assert set(events.LOG_TYPES) == set(events.ActivityKind)
    assert len(set(events.DETAIL_TYPES.values())) == len(events.DETAIL_TYPES)


def test_the_contracts_detail_types_are_the_ones_we_send() -> None:
    readme = (SPEC_DIR / "README.md").read_text()
    named = set(re.findall(r"`((?:Task|Member|Comment|Label|Board)[A-Z][a-zA-Z]+)`", readme))
    assert named, "the contract names no detail type: the pattern is stale"
    assert named <= set(events.DETAIL_TYPES.values())
    assert set(events.MAIL_DETAIL_TYPES) <= set(events.DETAIL_TYPES.values()) | set(events.ACCOUNT_MAIL_DETAIL_TYPES)
    assert not set(events.ACCOUNT_MAIL_DETAIL_TYPES) & set(events.DETAIL_TYPES.values())


def test_the_module_needs_nothing_but_the_standard_library() -> None:
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import models.events as e; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'sqlalchemy', 'sqlmodel', 'pydantic', 'strawberry', 'starlette'}); print(bad)")
    out = subprocess.run([sys.executable, "-c", code, str(REPO)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_bus_rule_in_terraform_is_the_mail_list() -> None:
    import hcl2  # python-hcl2, as tests/deploy reads the Terraform

    with (REPO / "deploy/events.tf").open() as f:
        tf = hcl2.load(f)
    locals_ = {k: v for block in tf["locals"] for k, v in block.items()}
    # Newer python-hcl2 keeps the quotes of string literals.
    assert [v.strip('"') for v in locals_["task_detail_types"]] == list(events.MAIL_DETAIL_TYPES)
    assert re.search(r'source\s*=\s*\["' + events.SOURCE + r'"\]', (REPO / "deploy/events.tf").read_text())


def test_one_timestamp_form_the_contracts() -> None:
    from datetime import UTC, datetime

    from schema.scalars import _serialize_datetime

    at = datetime(2026, 12, 3, 14, 5, 9, 123456, tzinfo=UTC)
    assert events.iso(at) == "2026-12-03T14:05:09.123Z"
    assert _serialize_datetime(at) == events.iso(at)


def _payload() -> dict[str, object]:
    return {"logType": "Update", "task": {"id": "t1", "title": "Zürich", "version": 3}, "member": None,
            "changes": None, "message": "m", "at": "2026-12-03T14:05:09.123Z", "recipients": []}


def test_encoding_is_the_bus_detail_byte_for_byte() -> None:
    import json

    payload = _payload()
    assert events.encode_event(payload) == json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    decoded = events.decode_event(events.encode_event(payload))
    assert decoded["version"] == events.EVENT_VERSION
    assert events.encode_event(decoded) == events.encode_event(payload)  # version 1 is not written
    assert events.decode_event({"task": None})["version"] == events.EVENT_VERSION  # a Lambda's parsed detail
    assert events.decode_event("[1]") == {} and events.decode_event(None) == {}


def test_the_envelope_keeps_the_byte_order_of_the_outbox() -> None:
    from datetime import UTC, datetime

    body = events.envelope(_payload(), event_id="e1", seq=7, board_id="b1", board_name="B",
                           kind=events.BoardEventKind.TASK_UPDATED, activity_kind=events.ActivityKind.TASK_ASSIGNED,
                           task_id="t1", actor_id="u1", actor_email="a@example.com", actor_name="Ada",
                           at=datetime(2026, 1, 1, tzinfo=UTC), traceparent=None)
    assert list(body) == [*_payload(), "eventId", "seq", "boardId", "boardName", "kind", "activityKind", "detailType",
                          "taskId", "actorId", "actorEmail", "actorName"]
    assert body["at"] == _payload()["at"] and body["detailType"] == "TaskAssigned"
