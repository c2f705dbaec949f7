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
