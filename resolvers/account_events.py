"""What the account area's board changes record: role changes' log lines and payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.tables import BoardRole
from notify.mail_words import board_url
from resolvers.events import iso
from resolvers.records import UserRec


def role_message(who: str, actor_email: str, member: UserRec, role: BoardRole, board_name: str,
                 at: datetime) -> str:
    return (f"{who} {actor_email} Changed Role of Member {member.email} to {role.value} "
            f"on Board {board_name} at {iso(at)}")


def added_recipients(public_url: str, actor_id: str, member: UserRec, board_id: str) -> list[dict[str, Any]]:
    """Who a MEMBER_ADDED mails: the person added, once, unless they added
    themselves, and only at a verified address."""
    if member.id == actor_id or not member.email_verified:
        return []
    return [{"userId": member.id, "email": member.email, "name": member.name, "reason": "added",
             "sendEmail": True, "smsNumber": None, "boardLink": board_url(public_url, board_id)}]
