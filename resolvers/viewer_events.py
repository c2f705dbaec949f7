"""`viewerEvents`: what changes a person's boards list, pushed on the socket they
have open (an extension of the contract).

It rides the board fan-out (`resolvers.live_hub`, Redis across instances): one
buffer follows the viewer's boards (renames, deletions, their own removal) and
the viewer's channel `user:<id>`, where a commit listener copies each
MEMBER_ADDED for the person added (who follows no channel of that board yet),
and where an invitation to their verified address is announced.  Nothing is
replayed: the first event, SUBSCRIBED, says that from then on every change is
pushed, and a client (re)loads its boards list on it."""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from models.tables import BoardEventKind, BoardEventRow, utcnow
from resolvers.boards import list_boards
from resolvers.context import Ctx
from resolvers.events import iso
from resolvers.live_hub import RESYNC, LiveEvent, SlowConsumer

USER_CHANNEL = "user:"
# Set on what is published to a user's channel that is no board change (an invitation).
VIEWER_KIND = "viewerKind"


class ViewerEventKind(enum.StrEnum):
    SUBSCRIBED = "SUBSCRIBED"
    BOARD_ADDED = "BOARD_ADDED"
    BOARD_REMOVED = "BOARD_REMOVED"
    BOARD_RENAMED = "BOARD_RENAMED"
    BOARD_DELETED = "BOARD_DELETED"
    INVITATION_RECEIVED = "INVITATION_RECEIVED"


def user_channel(user_id: str) -> str:
    return USER_CHANNEL + user_id


@dataclass(frozen=True, slots=True)
class ViewerChange:
    kind: ViewerEventKind
    board_id: str | None
    board_name: str | None
    role: str | None
    by_name: str | None
    invitation_id: str | None
    at: str
    # Unique to this viewer and change: what the socket's render cache keys it by.
    key: str

    @property
    def render_key(self) -> tuple[str, int]:
        return (self.key, 0)


def _member_id(payload: dict[str, Any]) -> str | None:
    return ((payload.get("member") or {}).get("user") or {}).get("id")


def for_viewer(ev: LiveEvent, viewer_id: str) -> ViewerChange | None:
    """What a pushed event means to this viewer's boards list (None: nothing)."""
    p = ev.payload
    board_id = p.get("boardId") or ev.board_id
    kind: ViewerEventKind | None = None
    if p.get(VIEWER_KIND) == ViewerEventKind.INVITATION_RECEIVED:
        kind = ViewerEventKind.INVITATION_RECEIVED
    elif ev.kind == BoardEventKind.MEMBER_ADDED and _member_id(p) == viewer_id:
        kind = ViewerEventKind.BOARD_ADDED
    elif ev.kind == BoardEventKind.MEMBER_REMOVED and _member_id(p) == viewer_id:
        kind = ViewerEventKind.BOARD_REMOVED
    elif ev.kind == BoardEventKind.BOARD_RENAMED:
        kind = ViewerEventKind.BOARD_RENAMED
    elif ev.kind == BoardEventKind.BOARD_DELETED:
        kind = ViewerEventKind.BOARD_DELETED
    if kind is None:
        return None
    role = p.get("role") or (p.get("member") or {}).get("role")
    return ViewerChange(kind, board_id, p.get("boardName"), role, p.get("actorName"), p.get("invitationId"),
                        p.get("at") or iso(utcnow()), f"viewer:{viewer_id}:{board_id}:{ev.seq}:{kind}:{p.get('at')}")


def user_copies(rows: Sequence[BoardEventRow]) -> list[LiveEvent]:
    """The commit listener's part: each MEMBER_ADDED, to the channel of the person added."""
    out = []
    for row in rows:
        if row.kind == BoardEventKind.MEMBER_ADDED and (member_id := _member_id(row.payload)):
            out.append(LiveEvent(user_channel(member_id), row.seq, BoardEventKind(row.kind), row.payload))
    return out


def announce_invitation(ctx: Ctx, user_id: str, *, board_id: str, board_name: str, role: str, invitation_id: str,
                        by_name: str) -> None:
    """After the invitation committed: to the invitee's open sockets (a board event
    kind rides along only because the fan-out carries board event kinds)."""
    hub = ctx.services.hub
    if hub is None:
        return
    payload = {VIEWER_KIND: ViewerEventKind.INVITATION_RECEIVED.value, "boardId": board_id, "boardName": board_name,
               "role": role, "invitationId": invitation_id, "actorName": by_name, "at": iso(utcnow())}
    hub.publish([LiveEvent(user_channel(user_id), 0, BoardEventKind.MEMBER_ADDED, payload)])


async def viewer_stream(ctx: Ctx) -> AsyncIterator[ViewerChange]:
    viewer_id = ctx.require_viewer()
    hub = ctx.services.hub
    channel = user_channel(viewer_id)
    sub = hub.new_subscription(channel)
    followed: set[str] = {channel}
    hub.attach(channel, sub)
    try:
        for board in await list_boards(ctx):  # after the channel: an addition meanwhile is heard there
            hub.attach(board.id, sub)
            followed.add(board.id)
        yield ViewerChange(ViewerEventKind.SUBSCRIBED, None, None, None, None, None, iso(utcnow()),
                           f"viewer:{viewer_id}:subscribed:{id(sub)}")
        seen: dict[str, int] = {}
        while True:
            if sub.slow:
                raise SlowConsumer
            ev = await sub.get()
            if ev is RESYNC:
                continue
            board_id = ev.payload.get("boardId") or ev.board_id
            if ev.seq:  # a board change may come on its board's channel and on the user's
                if ev.seq <= seen.get(board_id, 0):
                    continue
                seen[board_id] = ev.seq
            change = for_viewer(ev, viewer_id)
            if change is None:
                continue
            if change.kind == ViewerEventKind.BOARD_ADDED and board_id not in followed:
                hub.attach(board_id, sub)
                followed.add(board_id)
            elif change.kind in (ViewerEventKind.BOARD_REMOVED, ViewerEventKind.BOARD_DELETED):
                hub.detach(board_id, sub)
                followed.discard(board_id)
            yield change
    finally:
        for key in followed:
            hub.detach(key, sub)
