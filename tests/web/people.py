"""Helpers for the tests of issue 19 (a board a person enjoys): people on a board
through the API, axe-core in the page, and touch drags."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page

from tests.web import ui
from tests.web.conftest import WEB, Account, Server

AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"
DOCS = Path(__file__).resolve().parents[2] / "docs"


def board_with(server: Server, new_page: Any, *people: str, **viewport: int) -> tuple[list[Account], list[Page], str, str]:
    """Accounts made through the API, a board owned by the first with the others as members, each logged in on it."""
    accts = [server.sign_up(p) for p in people]
    name = f"Board {uuid.uuid4().hex[:6]}"
    board_id = ui.api_board(server, accts[0], name, *accts[1:])
    pages = []
    for acct in accts:
        page = new_page(**viewport)
        ui.log_in(page, acct)
        ui.open_board(page, name)
        pages.append(page)
    return accts, pages, board_id, name


def limits(server: Server) -> dict[str, int]:
    out: dict[str, int] = server.gql(
        "{ limits { titleMaxLength descriptionMaxLength boardNameMaxLength commentMaxLength } }"
    )["limits"]
    return out


def axe_violations(page: Page, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line each."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await window.axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} - {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in impacts
    ]


def touch_drag(page: Page, source: Locator, target: Locator, steps: int = 8) -> None:
    """Drag with a finger: touchStart on `source`, moves, touchEnd over `target` (Chromium's touch emulation)."""
    s, t = source.bounding_box(), target.bounding_box()
    assert s and t
    x0, y0 = s["x"] + s["width"] / 2, s["y"] + s["height"] / 2
    x1, y1 = t["x"] + t["width"] / 2, t["y"] + min(t["height"] / 2, 60)
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, x: float, y: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": x, "y": y, "id": 1}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", x0, y0)
    for i in range(1, steps + 1):
        touch("touchMove", x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
        page.wait_for_timeout(30)
    touch("touchEnd", x1, y1)


def small_targets(page: Page, scope: str = "body", minimum: int = 44) -> list[str]:
    """Visible buttons, links, selects and inputs under `scope` smaller than `minimum` px either way."""
    small: list[str] = page.evaluate(
        """([scope, min]) => {
          const out = [];
          for (const el of document.querySelector(scope).querySelectorAll(
              'button, a[href], select, input:not([type=hidden]), textarea, [role=button]')) {
            // A checkbox's target is its label (a click on the words ticks it).
            const box = el.matches('input[type=checkbox], input[type=radio]') && el.closest('label') || el;
            const r = box.getBoundingClientRect();
            const st = getComputedStyle(el);
            if (r.width === 0 || r.height === 0 || st.visibility === 'hidden') continue;
            if (el.closest('.sr-only, .skip')) continue;
            if (r.width < min || r.height < min)
              out.push(`${el.tagName} "${(el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
          }
          return out;
        }""",
        [scope, minimum],
    )
    return small


def broken_words(scope: Locator) -> list[str]:
    """One-word buttons, selects and labels under `scope` whose word wraps onto two lines ("Memb / er")."""
    found: list[str] = scope.evaluate(
        """el => [...el.querySelectorAll('button, select, label')].filter(b => {
             const r = document.createRange(); r.selectNodeContents(b);
             const words = b.innerText.trim().split(/\\s+/).length;
             const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top))).size;
             return b.innerText.trim() && words === 1 && lines > 1; }).map(b => b.innerText)"""
    )
    return found
