"""The embedded AWS emulator for development: moto's server on a free local port.

The only module of `notify/` that imports moto.  `sent_mails()` and `sent_sms()`
read what the emulator "sent" straight from moto's in-process backends, for a
developer page that shows the mails the pipeline produced.
"""

from __future__ import annotations

import email
import email.policy
import logging
import socket
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.server import ThreadedMotoServer


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class LocalAWS:
    """moto's threaded server on 127.0.0.1.  Every client of the process (aioboto3,
    boto3, the worker) points its `endpoint_url` here."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True) -> None:
        if quiet:  # werkzeug logs every request at INFO
            logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.host = host
        self._server = ThreadedMotoServer(ip_address=host, port=port or free_port(host), verbose=False)
        self._server.start()
        bound_host, bound_port = self._server.get_host_and_port()
        self.port = bound_port
        self.endpoint_url = f"http://{bound_host}:{bound_port}"

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> LocalAWS:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _part_text(msg: email.message.EmailMessage, subtype: str) -> str | None:
    part = msg.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    content = part.get_content()
    return content if isinstance(content, str) else None


def sent_mails(region: str = "us-east-1", account_id: str = DEFAULT_ACCOUNT_ID) -> list[dict[str, Any]]:
    """Mails moto's SES "sent", oldest first: to, from, subject, text, html, at
    (`at` is the Date header, which moto does not track itself)."""
    from moto.ses.models import RawMessage, ses_backends

    backend = ses_backends[account_id][region]
    out: list[dict[str, Any]] = []
    for message in list(backend.sent_messages):
        if isinstance(message, RawMessage):
            parsed = email.message_from_string(message.raw_data, policy=email.policy.default)
            assert isinstance(parsed, email.message.EmailMessage)
            out.append(
                {
                    "id": message.id,
                    "from": str(parsed["From"] or message.source),
                    "to": [str(a) for a in message.destinations] or [str(parsed["To"])],
                    "subject": str(parsed["Subject"] or ""),
                    "text": _part_text(parsed, "plain"),
                    "html": _part_text(parsed, "html"),
                    "body": _part_text(parsed, "plain") or _part_text(parsed, "html") or "",
                    "at": str(parsed["Date"]) if parsed["Date"] else None,
                    "event_id": str(parsed["X-Taskboard-Event-Id"]) if parsed["X-Taskboard-Event-Id"] else None,
                    "raw": message.raw_data,
                }
            )
        else:
            destinations = getattr(message, "destinations", {}) or {}
            to = [a for key in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destinations.get(key, [])]
            body = getattr(message, "body", "") or ""
            out.append(
                {
                    "id": message.id,
                    "from": message.source,
                    "to": to,
                    "subject": getattr(message, "subject", "") or "",
                    "text": body,
                    "html": None,
                    "body": body,
                    "at": None,
                    "event_id": None,
                    "raw": None,
                }
            )
    return out


def sent_sms(region: str = "us-east-1", account_id: str = DEFAULT_ACCOUNT_ID) -> list[dict[str, Any]]:
    """SMS messages moto's SNS "sent" to phone numbers, oldest first."""
    from moto.sns.models import sns_backends

    backend = sns_backends[account_id][region]
    return [
        {"id": message_id, "to": number, "message": text}
        for message_id, (number, text) in list(backend.sms_messages.items())
    ]
