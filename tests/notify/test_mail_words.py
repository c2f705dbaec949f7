"""Mails a person reads: people named by name (not address), a link to the board and
the task, dates as "Thu 22 Jun 2023", and a footer that names the switch as the
settings page does."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from notify_testkit import task_event

from notify import mailer
from notify.account_mail import render_account_mail, render_added_mail
from notify.comment_mail import render_comment_mail
from notify.mail_words import SWITCH_LABELS

BOARD_URL = "https://board.example.com/boards/brd_x"
TASK_URL = "https://board.example.com/boards/brd_x?task=tsk_x"
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
SETTINGS_TSX = Path(__file__).resolve().parents[2] / "web" / "src" / "settings.tsx"


def _event(**over: Any) -> dict[str, Any]:
    detail: dict[str, Any] = task_event("TaskUpdated")["detail"]
    detail.update(actorName="Boss Person", boardUrl=BOARD_URL, taskUrl=TASK_URL, **over)
    return detail


def _emails(detail: dict[str, Any]) -> list[str]:
    task = detail["task"]
    people = [task["supervisor"], task["assignee"], *detail["recipients"]]
    return [detail["actorEmail"], *(p["email"] for p in people if p)]


def _readable(mail: mailer.RenderedMail, detail: dict[str, Any]) -> None:
    for part in (mail.text, mail.html):
        for address in _emails(detail):
            assert address not in part, (address, part)
        assert not ISO_MOMENT.search(part), part
        assert not ISO_DAY.search(part.replace(BOARD_URL, "").replace(TASK_URL, "")), part


def test_a_task_mail_names_people_links_the_task_and_reads_its_dates() -> None:
    detail = _event(changes={"deadline": {"from": "2023-06-22", "to": "2023-06-30"},
                             "assignee": {"from": None, "to": "placeholder"}})
    detail["changes"]["assignee"]["to"] = detail["task"]["assignee"]["id"]
    recipient = detail["recipients"][0]
    mail = mailer.render_task_mail(detail, recipient)
    _readable(mail, detail)
    assert "Boss Person" in mail.text and "Boss Person" in mail.html
    assert "Thu 22 Jun 2023" in mail.text and "Fri 30 Jun 2023" in mail.text
    assert f"nobody → {detail['task']['assignee']['name']}" in mail.text
    assert TASK_URL in mail.text and BOARD_URL in mail.text
    assert f'href="{TASK_URL}"' in mail.html and f'href="{BOARD_URL}"' in mail.html
    assert ('Turn off in Settings → Notifications → "Mail me when a task I supervise or am assigned to '
            'changes".') in mail.text
    assert "Supervisor " not in mail.text  # the seed's log line stays in the activity log, not in a mail
    sms = mailer.sms_text(detail, recipient)
    assert "Boss Person" in sms and detail["actorEmail"] not in sms


def test_a_deleted_task_links_its_board_only() -> None:
    detail = _event(detailType="TaskDeleted", changes={"deleted": True})
    mail = mailer.render_task_mail(detail, detail["recipients"][0])
    assert BOARD_URL in mail.text and TASK_URL not in mail.text


def test_a_comment_mail_links_the_task_and_names_the_switch() -> None:
    detail = _event(detailType="CommentAdded", changes=None,
                    comment={"id": "cmt_x", "body": "please look", "author": {"name": "Boss Person",
                                                                            "email": "boss@example.com"}})
    mention = {**detail["recipients"][0], "reason": "mention"}
    mail = render_comment_mail(detail, mention)
    _readable(mail, detail)
    assert TASK_URL in mail.text and f'href="{TASK_URL}"' in mail.html
    assert 'Turn off in Settings → Notifications → "Mail me when someone mentions me in a comment".' in mail.text


def test_being_added_names_who_added_you() -> None:
    detail = {"eventId": "e", "boardId": "brd_x", "boardName": "Sprint 3", "actorEmail": "o@example.com",
              "actorName": "Olga Owner", "detailType": "MemberAdded"}
    recipient = {"email": "ada@example.com", "name": "Ada", "reason": "added", "boardLink": BOARD_URL}
    mail = render_added_mail(detail, recipient)
    assert "Olga Owner added you" in mail.text and "o@example.com" not in mail.text + mail.subject + mail.html
    # accepting an invitation: the one who invited, by name
    invited = render_added_mail({**detail, "actorName": "Ada"}, {**recipient, "addedBy": "Ivan Inviter"})
    assert "Ivan Inviter added you" in invited.text


def test_an_invitation_names_the_inviter() -> None:
    mail = render_account_mail({"detailType": "AccountInvitation", "to": {"email": "g@example.com"},
                                "boardName": "Roadmap", "invitedBy": "Olga Owner", "role": "MEMBER",
                                "link": "https://board.example.com/invitations/accept?id=i&token=t",
                                "expiresAt": "2026-12-10T13:00:00.000Z"})
    assert "Olga Owner invited you" in mail.subject
    assert "Thu 10 Dec 2026" in mail.text and "2026-12-10T" not in mail.text + mail.html


def test_a_reminder_reads_its_dates_links_each_task_and_names_the_switch() -> None:
    tasks = [{"id": "tsk_a", "title": "Old", "boardId": "brd_x", "boardName": "Sprint 3",
              "deadline": date(2031, 3, 7), "status": "TODO"},
             {"id": "tsk_b", "title": "Later", "boardId": "brd_x", "boardName": "Sprint 3",
              "deadline": date(2031, 3, 14), "status": "TODO"}]
    mail = mailer.deadline_reminder_mail(to_email="a@example.com", to_name="Ada", tasks=tasks,
                                         today=date(2031, 3, 10), public_url="https://board.example.com/")
    assert "overdue since Fri 7 Mar 2031" in mail.text and "due Fri 14 Mar 2031" in mail.text
    assert "https://board.example.com/boards/brd_x?task=tsk_a" in mail.text
    assert 'href="https://board.example.com/boards/brd_x?task=tsk_b"' in mail.html
    assert ('Turn off in Settings → Notifications → "Mail me about my tasks that are due within a day or '
            'overdue".') in mail.text


def test_the_footers_name_the_switches_as_the_settings_page_does() -> None:
    page = SETTINGS_TSX.read_text()
    for key, label in SWITCH_LABELS.items():
        assert f'["{key}", "{label}"]' in page, (key, label)
