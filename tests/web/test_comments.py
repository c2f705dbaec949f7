"""Comments in the task panel: mention completion, text-only rendering, edit and
delete rights, "load more", and two people seeing each other's comments live."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.web import ui
from tests.web.conftest import Server


def test_comments_between_two_people(new_page, server: Server, artifacts: Path) -> None:
    a, b = server.sign_up("Cora"), server.sign_up("Bodhi")
    name = f"Talk {uuid.uuid4().hex[:6]}"
    board_id = ui.api_board(server, a, name, b)
    ui.api_task(server, a, board_id, "Plan the release", assigneeId=b.id)
    page, other = new_page(), new_page()
    ui.log_in(page, a)
    ui.open_board(page, name)
    ui.log_in(other, b)
    ui.open_board(other, name)
    comment_reads: list[str] = []

    def count_reads(request: Any) -> None:
        if "TaskComments" in (request.post_data or ""):
            comment_reads.append(request.url)

    other.on("request", count_reads)

    # B keeps the task open; A comments, mentioning B through the completion list.
    panel_b = ui.open_comments(other, "Plan the release")
    expect(panel_b.get_by_text("No comments yet.")).to_be_visible()
    reads_before = len(comment_reads)
    panel = ui.open_comments(page, "Plan the release")
    box = panel.get_by_role("combobox", name="Add a comment")
    box.press_sequentially("Ready when you are @bod")
    options = panel.get_by_role("listbox", name="Members to mention").get_by_role("option")
    expect(options).to_have_count(1)
    expect(options).to_contain_text(b.email)
    box.press("Enter")
    expect(box).to_have_value(f"Ready when you are @{b.email} ")
    expect(panel.get_by_role("listbox", name="Members to mention")).to_be_hidden()
    panel.get_by_role("button", name="Comment", exact=True).click()
    expect(ui.comment_bodies(panel)).to_have_text([f"Ready when you are @{b.email}"])
    expect(panel.locator(".mention")).to_have_text([f"@{b.email}"])

    # B sees it appear in the open panel, and the count on the card, without a refetch.
    expect(ui.comment_bodies(panel_b)).to_have_text([f"Ready when you are @{b.email}"])
    expect(ui.card(other, "Plan the release").locator(".comment-count")).to_have_text("1")
    assert len(comment_reads) == reads_before

    # Markup stays text: no element is made of it, no script runs.
    hostile = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><b>bold</b>'
    ui.add_comment(panel_b, hostile)
    expect(ui.comment_bodies(panel).nth(1)).to_have_text(hostile)
    for p in (page, other):
        body = ui.comment_bodies(p.get_by_role("complementary", name="Task")).nth(1)
        expect(body).to_have_text(hostile)
        assert body.evaluate("el => el.children.length") == 0
        assert p.evaluate("window.__pwned") is None
    expect(ui.card(page, "Plan the release").locator(".comment-count")).to_have_text("2")

    ui.screenshot(other, artifacts / "board-comments.png")

    # The author edits their own comment; the others see the edit live.
    first = panel.locator("ol.comment-list > li").nth(0)
    expect(panel_b.locator("ol.comment-list > li").nth(0).get_by_role("button", name="Edit")).to_have_count(0)
    first.get_by_role("button", name="Edit").click()
    first.get_by_role("combobox", name="Edit comment").fill("Ready on Friday")
    first.get_by_role("button", name="Save comment").click()
    expect(ui.comment_bodies(panel_b).nth(0)).to_have_text("Ready on Friday")
    expect(panel_b.locator("ol.comment-list > li").nth(0)).to_contain_text("edited")

    # A member may not delete another's comment (no button); an owner may.
    expect(panel_b.locator("ol.comment-list > li").nth(0).get_by_role("button", name="Delete")).to_have_count(0)
    second = panel.locator("ol.comment-list > li").nth(1)
    second.get_by_role("button", name="Delete").click()
    second.get_by_role("button", name="Yes, delete the comment").click()
    expect(ui.comment_bodies(panel_b)).to_have_text(["Ready on Friday"])
    expect(ui.card(other, "Plan the release").locator(".comment-count")).to_have_text("1")
    assert len(comment_reads) == reads_before


def test_comments_oldest_first_with_load_more(new_page, server: Server) -> None:
    a = server.sign_up("Mo")
    name = f"Many {uuid.uuid4().hex[:6]}"
    board_id = ui.api_board(server, a, name)
    task_id = ui.api_task(server, a, board_id, "Busy task")
    for i in range(1, 24):
        server.gql("mutation($t: ID!, $b: String!) { addComment(taskId: $t, body: $b) { id } }",
                   {"t": task_id, "b": f"note {i}"}, a.token)
    page = new_page()
    ui.log_in(page, a)
    ui.open_board(page, name)
    expect(ui.card(page, "Busy task").locator(".comment-count")).to_have_text("23")
    panel = ui.open_comments(page, "Busy task")
    bodies = ui.comment_bodies(panel)
    expect(bodies).to_have_count(20)
    expect(bodies.first).to_have_text("note 1")
    # A comment written meanwhile shows apart, below "load more", until the older pages are in.
    ui.api_task(server, a, board_id, "Unrelated")  # (an event of another kind in between)
    server.gql("mutation($t: ID!, $b: String!) { addComment(taskId: $t, body: $b) { id } }",
               {"t": task_id, "b": "note 24"}, a.token)
    expect(ui.card(page, "Busy task").locator(".comment-count")).to_have_text("24")
    newer = panel.get_by_role("list", name="Newer comments")
    expect(newer.locator(".comment-body")).to_have_text(["note 24"])
    expect(bodies).to_have_count(21)
    panel.get_by_role("button", name="Load more comments").click()
    expect(bodies).to_have_count(24)
    expect(bodies).to_have_text([f"note {i}" for i in range(1, 25)])
    expect(panel.get_by_role("button", name="Load more comments")).to_have_count(0)
    expect(newer).to_have_count(0)
    expect(panel.get_by_role("heading", name=re.compile("Busy task"))).to_be_visible()
