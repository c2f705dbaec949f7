"""A user's own mail and SMS (verification, password reset, invitation, phone code):
one bus event from the account outbox in, one message out, idempotent on the event
id like task mail (the same markers in the activity table).  Standard library and
botocore only: it ships in the mailer Lambda."""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

from models.events import (
    ACCOUNT_EMAIL_VERIFICATION,
    ACCOUNT_INVITATION,
    ACCOUNT_MAIL_DETAIL_TYPES,
    ACCOUNT_PASSWORD_RESET,
    ACCOUNT_PHONE_CODE,
    MEMBER_MAIL_DETAIL_TYPES,
    iso,
)
from notify.mail_ledger import begin_send, claim_marker, release_marker, suppressed_recipient
from notify.mail_send import send_mail
from notify.mail_words import actor_name, moment
from notify.mailer import _confirm, send_retrying
from notify.task_mail import RenderedMail, _clean

ACCOUNT_DETAIL_TYPES = frozenset(ACCOUNT_MAIL_DETAIL_TYPES)
MEMBER_DETAIL_TYPES = frozenset(MEMBER_MAIL_DETAIL_TYPES)
log = logging.getLogger("taskboard.notify.account_mail")

# subject, what the link does, the button's words
_MAILS: dict[str, tuple[str, str, str]] = {
    ACCOUNT_EMAIL_VERIFICATION: ("Confirm your email address for Taskboard",
                                 "Confirm that this address is yours, so that Taskboard may mail you about your "
                                 "tasks and boards.", "Confirm my address"),
    ACCOUNT_PASSWORD_RESET: ("Reset your Taskboard password",
                             "Someone (we hope you) asked to reset the password of the Taskboard account of this "
                             "address. If it was not you, ignore this mail: nothing changes.", "Choose a new password"),
    ACCOUNT_INVITATION: ("You are invited to a board on Taskboard", "", "Open the invitation"),
}


def render_account_mail(detail: Mapping[str, Any]) -> RenderedMail:
    kind = str(detail.get("detailType") or "")
    to = detail.get("to") or {}
    name = _clean(to.get("name") or to.get("email") or "", 100)
    subject, what, button = _MAILS[kind]
    if kind == ACCOUNT_INVITATION:
        board = _clean(detail.get("boardName") or "a board", 200)
        inviter = _clean(detail.get("invitedBy") or "Someone", 254)
        subject = _clean(f"{inviter} invited you to the board {board}", 250)
        what = (f"{inviter} invited you to the board {board} as {str(detail.get('role') or 'MEMBER').lower()}. "
                "Sign up or log in with this address, confirm it, and accept.")
    link = str(detail.get("link") or "")
    expires = moment(detail["expiresAt"]) if detail.get("expiresAt") else ""
    footer = "You get this mail because of an action on Taskboard with this address."
    lines = [f"Hi {name}," if name else "Hi,", "", what, "", f"{button}: {link}"]
    if expires:
        lines += ["", f"The link works once, until {expires}."]
    lines += ["", "-- ", footer, ""]
    e = html.escape
    body_html = (
        '<!doctype html><html><body style="font-family:sans-serif">'
        f"<p>Hi {e(name)},</p><p>{e(what)}</p>"
        f'<p><a href="{e(link, quote=True)}" style="display:inline-block;padding:8px 16px;background:#2563eb;'
        f'color:#fff;text-decoration:none;border-radius:4px">{e(button)}</a></p>'
        f'<p style="font-size:small">Or open this link: {e(link)}</p>'
        + (f'<p style="font-size:small">The link works once, until {e(expires)}.</p>' if expires else "")
        + f'<hr><p style="color:#666;font-size:small">{e(footer)}</p></body></html>'
    )
    return RenderedMail(str(to.get("email") or ""), name, subject, "\n".join(lines), body_html)


def render_added_mail(detail: Mapping[str, Any], recipient: Mapping[str, Any]) -> RenderedMail:
    name = _clean(recipient.get("name") or recipient.get("email") or "", 100)
    board = _clean(detail.get("boardName") or "a board", 200)
    # Accepting an invitation is being added by the one who invited.
    actor = _clean(recipient.get("addedBy") or actor_name(detail), 254)
    link = str(recipient.get("boardLink") or "")
    subject = _clean(f"[{board}] {actor} added you to the board", 250)
    footer = "You get this mail once, because you were added to this board."
    text = "\n".join([f"Hi {name},", "", f"{actor} added you to the board {board}.", "",
                      f"Open the board: {link}", "", "-- ", footer, ""])
    e = html.escape
    body_html = (
        '<!doctype html><html><body style="font-family:sans-serif">'
        f"<p>Hi {e(name)},</p><p>{e(actor)} added you to the board <b>{e(board)}</b>.</p>"
        f'<p><a href="{e(link, quote=True)}">Open the board</a></p>'
        f'<hr><p style="color:#666;font-size:small">{e(footer)}</p></body></html>'
    )
    return RenderedMail(str(recipient.get("email") or ""), name, subject, text, body_html)


def phone_code_text(detail: Mapping[str, Any]) -> str:
    return f"Your Taskboard code is {_clean(detail.get('code') or '', 10)}. It expires in 10 minutes."


def handle_account_event(detail: Mapping[str, Any], *, ses: Any, sns: Any, dynamodb: Any, table: str,
                         mail_from: str, dedup_ttl_days: int = 30, now: datetime | None = None
                         ) -> dict[str, int]:
    """Send the one message of an account event, unless it was sent before."""
    counts = {"sent": 0, "skipped": 0, "sms": 0}
    kind = str(detail.get("detailType") or "")
    event_id = str(detail.get("eventId") or "")
    if kind not in ACCOUNT_DETAIL_TYPES | MEMBER_DETAIL_TYPES or not event_id:
        return counts
    moment = now or datetime.now(UTC)
    if kind in MEMBER_DETAIL_TYPES:
        for rcpt in detail.get("recipients") or []:
            # Only the person added: the member event mails nobody else.
            if (not isinstance(rcpt, Mapping) or rcpt.get("reason") != "added" or not rcpt.get("sendEmail")
                    or not rcpt.get("email")):
                continue
            added = render_added_mail(detail, rcpt)
            done = _deliver(dynamodb, table, event_id, "email", added.to_email, added.subject, moment,
                            dedup_ttl_days, partial(send_mail, ses, added, mail_from, event_id=event_id))
            counts["sent" if done else "skipped"] += 1
        return counts
    to = detail.get("to") or {}
    if kind == ACCOUNT_PHONE_CODE:
        number = str(to.get("smsNumber") or "")
        if not number or not detail.get("code"):
            return counts
        text = phone_code_text(detail)
        done = _deliver(dynamodb, table, event_id, "sms", number, "", moment, dedup_ttl_days,
                        lambda: sns.publish(PhoneNumber=number, Message=text))
        counts["sms" if done else "skipped"] += 1
        return counts
    if not to.get("email") or not detail.get("link"):
        return counts
    mail = render_account_mail(detail)
    done = _deliver(dynamodb, table, event_id, "email", mail.to_email, mail.subject, moment, dedup_ttl_days,
                    lambda: send_mail(ses, mail, mail_from, event_id=event_id))
    counts["sent" if done else "skipped"] += 1
    return counts


def _deliver(dynamodb: Any, table: str, event_id: str, kind: str, to: str, subject: str, moment: datetime,
             ttl_days: int, send: Any) -> bool:
    """Claim, send, confirm (as task mail does): True when sent now, False when it
    was sent before.  The message's body (a link, a code) is not kept in the marker."""
    if kind == "email" and suppressed_recipient(dynamodb, table, to, {}):
        return False  # it hard-bounced or complained: SES would drop it, and it would count against us
    pk, sk = f"MAIL#{event_id}", f"{to}#{kind}"
    sent_at = iso(moment)
    attributes: dict[str, str | int] = {"ExpiresAt": int(moment.timestamp()) + ttl_days * 86400, "Kind": kind,
                                        "EventId": event_id, "To": to, "Subject": subject, "SentAt": sent_at}
    token = claim_marker(dynamodb, table, pk, sk, attributes, now=moment.timestamp())
    if token is None:
        return False
    begin_send(dynamodb, table, pk, sk, token)
    send_retrying(send, partial(release_marker, dynamodb, table, pk, sk))
    _confirm(dynamodb, table, pk, sk)
    return True
