"""Real `taskboard` processes in tests: waiting for one to answer, stopping it."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess

import httpx


async def wait_ready(client: httpx.AsyncClient, path: str = "/readyz", *, tries: int = 150,
                     pause: float = 0.1) -> bool:
    """True once `path` answers 200; False when it never did."""
    for _ in range(tries):
        with contextlib.suppress(httpx.TransportError):
            if (await client.get(path)).status_code == 200:
                return True
        await asyncio.sleep(pause)
    return False


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGINT, timeout: float = 30) -> str:
    """Ask the process to stop (killing it if it will not) and return what it printed."""
    proc.send_signal(sig)
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
    return output or ""
