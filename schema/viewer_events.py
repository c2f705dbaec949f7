"""The `viewerEvents` subscription's type (resolvers.viewer_events)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import ID

from models import tables
from resolvers import viewer_events
from schema.scalars import DateTime, parse_datetime
from schema.types import BoardRole

ViewerEventKind = strawberry.enum(viewer_events.ViewerEventKind, name="ViewerEventKind", description=(
    "SUBSCRIBED comes first: from then on every change is pushed, so (re)load the boards list on it."))


@strawberry.type(description=(
    "A change of the viewer's boards list (an extension of the contract): added to or removed from a board, a "
    "board of theirs renamed or deleted, or an invitation to their address."))
class ViewerEvent:
    kind: ViewerEventKind  # type: ignore[valid-type]
    board_id: ID | None = strawberry.field(description="Null for SUBSCRIBED.")
    board_name: str | None = strawberry.field(description="The board's name (after a rename).")
    role: BoardRole | None = strawberry.field(  # type: ignore[valid-type]
        description="The viewer's role on BOARD_ADDED; the offered one on INVITATION_RECEIVED.")
    by_name: str | None = strawberry.field(description="Who did it, by name.")
    invitation_id: ID | None = strawberry.field(description="Set on INVITATION_RECEIVED.")
    at: DateTime

    @classmethod
    def of(cls, c: viewer_events.ViewerChange) -> ViewerEvent:
        return cls(kind=c.kind, board_id=ID(c.board_id) if c.board_id else None, board_name=c.board_name,
                   role=tables.BoardRole(c.role) if c.role else None, by_name=c.by_name,
                   invitation_id=ID(c.invitation_id) if c.invitation_id else None,
                   at=parse_datetime(c.at))  # type: ignore[arg-type]


def viewer_event_resolver(event: Any, _info: Any, **_args: Any) -> Any:
    return ViewerEvent.of(event) if isinstance(event, viewer_events.ViewerChange) else event
