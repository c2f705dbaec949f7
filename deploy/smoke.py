"""Post-deploy smoke test through the public names: sign up, create a board and a task,
subscribe to the board over the websocket, move the task, and receive its event.

    python deploy/smoke.py --api-url https://api.example.com/graphql \
                           --ws-url wss://board.example.com/graphql [--origin https://board.example.com]

The HTTP calls go where the web board sends them (API Gateway), the subscription where
the web board opens it (CloudFront), with the web board's Origin, so CORS, the websocket
route and the service are checked together. Needs httpx and websockets. Exits non-zero,
saying which step failed, when any step fails."""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import time
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

SIGN_UP = "mutation($i: SignUpInput!) { signUp(input: $i) { accessToken user { id } } }"
CREATE_BOARD = "mutation($n: String!) { createBoard(name: $n) { id } }"
CREATE_TASK = ("mutation($i: CreateTaskInput!) { createTask(input: $i) { id version } }")
MOVE_TASK = ("mutation($id: ID!, $i: UpdateTaskInput!) { updateTask(id: $id, input: $i) { id status version } }")
EVENTS = "subscription($b: ID!) { boardEvents(boardId: $b) { kind seq taskId task { status } } }"


class SmokeFailure(Exception):
    pass


async def call(client: httpx.AsyncClient, url: str, query: str, variables: dict[str, Any],
               token: str | None = None) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await client.post(url, json={"query": query, "variables": variables}, headers=headers)
    if response.status_code != 200:
        raise SmokeFailure(f"HTTP {response.status_code} from {url}: {response.text[:300]}")
    if client.headers.get("origin") and "access-control-allow-origin" not in response.headers:
        raise SmokeFailure(f"{url} answered without CORS headers for {client.headers['origin']}")
    body: dict[str, Any] = response.json()
    if body.get("errors"):
        raise SmokeFailure(f"GraphQL errors: {body['errors']}")
    data: dict[str, Any] = body["data"]
    return data


async def run(api_url: str, ws_url: str, origin: str | None, wait: float) -> dict[str, Any]:
    started = time.monotonic()
    headers = {"origin": origin} if origin else {}
    async with httpx.AsyncClient(timeout=wait, headers=headers) as client:
        email = f"smoke-{secrets.token_hex(6)}@example.com"
        signed = (await call(client, api_url, SIGN_UP, {
            "i": {"email": email, "name": "Smoke test", "password": secrets.token_urlsafe(16)}}))["signUp"]
        token = signed["accessToken"]
        board = (await call(client, api_url, CREATE_BOARD, {"n": "smoke test"}, token))["createBoard"]
        task = (await call(client, api_url, CREATE_TASK, {
            "i": {"boardId": board["id"], "title": "smoke test", "status": "TODO"}}, token))["createTask"]

        async with connect(ws_url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                           additional_headers=headers, open_timeout=wait) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
            ack = json.loads(await asyncio.wait_for(ws.recv(), wait))
            if ack.get("type") != "connection_ack":
                raise SmokeFailure(f"websocket: expected connection_ack, got {ack}")
            await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                      "payload": {"query": EVENTS, "variables": {"b": board["id"]}}}))
            # The subscription is live once the server has it; a moment later the move is sure to be seen.
            await asyncio.sleep(0.5)
            moved = (await call(client, api_url, MOVE_TASK, {
                "id": task["id"], "i": {"status": "DONE", "expectedVersion": task["version"]}}, token))["updateTask"]
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                message = json.loads(await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic())))
                if message.get("type") == "next":
                    event = message["payload"]["data"]["boardEvents"]
                    if event["taskId"] == task["id"] and (event.get("task") or {}).get("status") == "DONE":
                        return {"board": board["id"], "task": moved["id"], "seq": event["seq"],
                                "seconds": round(time.monotonic() - started, 2)}
                elif message.get("type") in ("error", "complete"):
                    raise SmokeFailure(f"websocket: {message}")
            raise SmokeFailure("websocket: the move's event did not arrive")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api-url", required=True, help="HTTP GraphQL endpoint (the web board's VITE_API_URL)")
    parser.add_argument("--ws-url", required=True, help="websocket endpoint (the web board's VITE_WS_URL)")
    parser.add_argument("--origin", help="the web board's origin, sent as Origin (checks CORS)")
    parser.add_argument("--timeout", type=float, default=20.0)
    args = parser.parse_args(argv)
    try:
        result = asyncio.run(run(args.api_url, args.ws_url, args.origin, args.timeout))
    except (SmokeFailure, httpx.HTTPError, WebSocketException, OSError, TimeoutError) as exc:
        print(f"smoke test FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"smoke test passed: {json.dumps(result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
