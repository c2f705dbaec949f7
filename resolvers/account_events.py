"""What the account area's board changes record: role changes' log lines and payloads."""

from __future__ import annotations

from datetime import datetime

from models.tables import BoardRole
from resolvers.events import iso
from resolvers.records import UserRec


def role_message(who: str, actor_email: str, member: UserRec, role: BoardRole, board_name: str,
                 at: datetime) -> str:
    return (f"{who} {actor_email} Changed Role of Member {member.email} to {role.value} "
            f"on Board {board_name} at {iso(at)}")
