"""Deterministic reproductions of what the fuzzer found."""

from __future__ import annotations

from tests.api.helpers import codes
from tests.conftest import Api
from tests.robust.common import make_world


async def test_cancelled_sibling_does_not_cancel_a_shared_loader_future(api: Api) -> None:
    """A non-null error (an invalid cursor on Task.activity) makes graphql-core cancel
    the sibling fields, among them a `supervisor` load; the batch loader's future for
    that user was shared with `task.assignee` elsewhere in the document, so the
    cancellation escaped the executor as CancelledError: HTTP 500, text/plain."""
    world = await make_world(api, tasks=2)
    task_id = world.task_ids[1]  # created by the member and assigned to the member
    query = """query($t: ID!) {
      task(id: $t) { assignee { name } }
      node(id: $t) { ... on Task { supervisor { name } activity(first: 5, after: "") { edges { cursor } } } }
    }"""
    r = await api.post(query, {"t": task_id}, world.owner["token"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["data"]["task"]["assignee"]["name"] == "Member", body
    assert body["data"]["node"] is None
    assert codes(body) == ["BAD_USER_INPUT"], body
