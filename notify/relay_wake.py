"""What wakes the outbox relay's loop: a handoff (at once, or after `linger` so
that the commits of that moment share one delivery), a nudge (a claim pass, after
`linger` too), or `stop`.  Nudges are safe from any thread; the timers run in the
relay's loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Waker:
    def __init__(self, linger: float) -> None:
        # How long handed-over rows (and nudges) wait for company before a delivery
        # (a claim): a batch costs one claim, one PutEvents and one mark, not one each.
        self.linger = linger
        self.event = asyncio.Event()
        self.claim_now = True  # set by a nudge: claim from the table at the next turn
        self.loop: asyncio.AbstractEventLoop | None = None
        self._linger_timer: asyncio.TimerHandle | None = None
        self._claim_timer: asyncio.TimerHandle | None = None

    def nudge(self) -> None:
        if self.linger <= 0:
            self.claim_now = True
            self.wake_up()
        else:
            self._in_loop(self._arm_claim)

    def handed(self, full: bool) -> None:
        """Rows were handed over (`full`: a batch's worth is waiting); called in the loop."""
        if self.linger <= 0 or full:
            self.wake_up()
        elif self._linger_timer is None:
            self._linger_timer = asyncio.get_running_loop().call_later(self.linger, self._linger_done)

    def wake_up(self) -> None:
        self._in_loop(self.event.set)

    def _arm_claim(self) -> None:
        if self._claim_timer is None and self.loop is not None:
            self._claim_timer = self.loop.call_later(self.linger, self._claim_due)

    def _claim_due(self) -> None:
        self._claim_timer = None
        self.claim_now = True
        self.event.set()

    def _linger_done(self) -> None:
        self._linger_timer = None
        self.wake_up()

    def _in_loop(self, callback: Callable[[], None]) -> None:
        """Run `callback` in the relay's loop: now when called from it (or before
        it runs), else through the loop, from whatever thread."""
        loop = self.loop
        if loop is not None and not loop.is_closed():
            try:
                running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is not loop:
                loop.call_soon_threadsafe(callback)
                return
        callback()
