"""Comments: who may write, edit, delete and read them; mentions; their events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from models.tables import BoardEventKind
from resolvers.live_hub import LiveEvent
from schema.live import board_event
from tests.api.helpers import (
    activity,
    add_member,
    board_seqs,
    codes,
    create_task,
    get_task,
    new_board,
    runtime_of,
)
from tests.conftest import Api

COMMENT_FIELDS = "id taskId body createdAt editedAt author { id email } mentions { id email }"
ADD = f"mutation($t: ID!, $b: String!) {{ addComment(taskId: $t, body: $b) {{ {COMMENT_FIELDS} }} }}"
UPDATE = f"mutation($id: ID!, $b: String!) {{ updateComment(id: $id, body: $b) {{ {COMMENT_FIELDS} }} }}"
DELETE = "mutation($id: ID!) { deleteComment(id: $id) }"
COMMENTS = f"""query($id: ID!, $first: Int = 10, $after: String) {{ task(id: $id) {{ version commentCount
  comments(first: $first, after: $after) {{ totalCount pageInfo {{ hasNextPage endCursor }}
    edges {{ cursor node {{ {COMMENT_FIELDS} }} }} }} }} }}"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Comment { body } } }"


async def _team(api: Api) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], str, dict[str, Any]]:
    owner, member, outsider = await api.signup("Own"), await api.signup("Mem"), await api.signup("Out")
    board = await new_board(api, owner)
    await add_member(api, owner, board, member)
    task = await create_task(api, owner, board, "Discuss", assigneeId=member["id"])
    return owner, member, outsider, board, task


async def add(api: Api, user: dict[str, Any], task_id: str, body: str) -> dict[str, Any]:
    return await api.gql(ADD, {"t": task_id, "b": body}, user["token"])


async def test_comments_are_read_oldest_first_in_pages_with_their_count(api: Api) -> None:
    owner, member, _, _, task = await _team(api)
    for i in range(5):
        author = owner if i % 2 == 0 else member
        body = await add(api, author, task["id"], f"comment {i}")
        assert "errors" not in body, body
    seen: list[str] = []
    after = None
    while True:
        data = (await api.ok(COMMENTS, {"id": task["id"], "first": 2, "after": after}, owner["token"]))["task"]
        conn = data["comments"]
        assert data["commentCount"] == 5 and conn["totalCount"] == 5
        seen += [e["node"]["body"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == [f"comment {i}" for i in range(5)]
    # A comment is a change of the board, not of the task.
    assert data["version"] == 1
    assert codes(await api.gql(COMMENTS, {"id": task["id"], "after": "bm9wZQ"}, owner["token"])) == ["BAD_USER_INPUT"]


async def test_mentions_resolve_to_members_at_write_time(api: Api) -> None:
    owner, member, outsider, _, task = await _team(api)
    body = (f"Hi @{member['email'].upper()}, and @{owner['email']}. Not @{outsider['email']} nor "
            f"mail{member['email']} (plain), twice @{member['email']}!")
    c = (await api.ok(ADD, {"t": task["id"], "b": body}, member["token"]))["addComment"]
    assert c["body"] == body and c["taskId"] == task["id"] and c["author"]["id"] == member["id"]
    assert [m["id"] for m in c["mentions"]] == [member["id"], owner["id"]]
    assert c["editedAt"] is None

    edited = (await api.ok(UPDATE, {"id": c["id"], "b": f"Only @{owner['email']}"}, member["token"]))["updateComment"]
    assert [m["id"] for m in edited["mentions"]] == [owner["id"]]
    assert edited["editedAt"] is not None and edited["createdAt"] == c["createdAt"]
    assert (await api.ok(NODE, {"id": c["id"]}, owner["token"]))["node"] == {"id": c["id"], "body": edited["body"]}


async def test_body_is_plain_text_not_empty_at_most_10000_characters(api: Api) -> None:
    owner, _, _, _, task = await _team(api)
    for bad in ("", "   \n ", "x" * 10_001):
        assert codes(await add(api, owner, task["id"], bad)) == ["BAD_USER_INPUT"], len(bad)
    longest = "😀" * 10_000
    c = (await api.ok(ADD, {"t": task["id"], "b": longest}, owner["token"]))["addComment"]
    assert c["body"] == longest
    html = "<script>alert(1)</script>"
    assert (await api.ok(ADD, {"t": task["id"], "b": html}, owner["token"]))["addComment"]["body"] == html


async def test_who_may_write_edit_and_delete(api: Api) -> None:
    owner, member, outsider, board, task = await _team(api)
    mine = (await api.ok(ADD, {"t": task["id"], "b": "by member"}, member["token"]))["addComment"]
    owners = (await api.ok(ADD, {"t": task["id"], "b": "by owner"}, owner["token"]))["addComment"]

    # Non-members see nothing: NOT_FOUND, never FORBIDDEN.
    assert codes(await add(api, outsider, task["id"], "hi")) == ["NOT_FOUND"]
    assert codes(await api.gql(UPDATE, {"id": mine["id"], "b": "x"}, outsider["token"])) == ["NOT_FOUND"]
    assert codes(await api.gql(DELETE, {"id": mine["id"]}, outsider["token"])) == ["NOT_FOUND"]
    assert codes(await api.gql(NODE, {"id": mine["id"]}, outsider["token"])) == ["NOT_FOUND"]
    assert codes(await add(api, member, "tsk_nope", "hi")) == ["NOT_FOUND"]
    assert codes(await api.gql(DELETE, {"id": "cmt_nope"}, member["token"])) == ["NOT_FOUND"]

    # Members see the comment, so refusing them is FORBIDDEN.
    assert codes(await api.gql(UPDATE, {"id": owners["id"], "b": "x"}, member["token"])) == ["FORBIDDEN"]
    assert codes(await api.gql(DELETE, {"id": owners["id"]}, member["token"])) == ["FORBIDDEN"]
    # Owners may delete anyone's comment, but edit only their own.
    assert codes(await api.gql(UPDATE, {"id": mine["id"], "b": "x"}, owner["token"])) == ["FORBIDDEN"]
    seqs = await board_seqs(api, board)
    assert (await api.ok(DELETE, {"id": mine["id"]}, owner["token"]))["deleteComment"] == mine["id"]
    assert (await api.ok(DELETE, {"id": owners["id"]}, owner["token"]))["deleteComment"] == owners["id"]
    assert await board_seqs(api, board) == [*seqs, seqs[-1] + 1, seqs[-1] + 2]  # refusals recorded nothing
    assert codes(await api.gql(DELETE, {"id": mine["id"]}, owner["token"])) == ["NOT_FOUND"]
    data = (await api.ok(COMMENTS, {"id": task["id"]}, member["token"]))["task"]
    assert data["commentCount"] == 0 and data["comments"]["edges"] == []


async def test_each_change_is_one_event_with_its_seq_and_activity_entry(api: Api) -> None:
    owner, member, _, board, task = await _team(api)
    before = await board_seqs(api, board)
    c = (await api.ok(ADD, {"t": task["id"], "b": f"@{owner['email']} look"}, member["token"]))["addComment"]
    await api.ok(UPDATE, {"id": c["id"], "b": "look again"}, member["token"])
    await api.ok(UPDATE, {"id": c["id"], "b": "look again"}, member["token"])  # no change, no event
    await api.ok(DELETE, {"id": c["id"]}, member["token"])
    assert await board_seqs(api, board) == [*before, *(before[-1] + i for i in (1, 2, 3))]

    entries = (await activity(api, owner, board))[:3]
    assert [e["kind"] for e in entries] == ["COMMENT_DELETED", "COMMENT_UPDATED", "COMMENT_ADDED"]
    assert all(e["taskId"] == task["id"] and e["actorEmail"] == member["email"] for e in entries)
    assert entries[2]["message"].startswith(f"Assignee {member['email']} Commented on Task Discuss at ")

    # The live event of each: COMMENT_* with the comment (none once deleted).
    rows = await _events(api, board, before[-1])
    live = [board_event(LiveEvent(board, seq, BoardEventKind(kind), payload)) for seq, kind, payload in rows]
    assert [e.kind for e in live] == [BoardEventKind.COMMENT_ADDED, BoardEventKind.COMMENT_UPDATED,
                                      BoardEventKind.COMMENT_DELETED]
    assert all(e.comment_id == c["id"] and e.task_id == task["id"] for e in live)
    added, updated, deleted = live
    assert added.comment is not None and added.comment.body == c["body"] and added.comment._mention_ids == [owner["id"]]
    assert updated.comment is not None and updated.comment.body == "look again" and updated.comment.edited_at
    assert deleted.comment is None
    assert (await get_task(api, owner, task["id"]) or {})["version"] == 1


async def _events(api: Api, board: str, after_seq: int) -> list[tuple[int, str, dict[str, Any]]]:
    import json

    engine = runtime_of(api.app).engine
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT seq, kind, payload FROM board_events WHERE board_id = :b AND seq > :s "
                                       "ORDER BY seq"), {"b": board, "s": after_seq})
        return [(int(r[0]), r[1], r[2] if isinstance(r[2], dict) else json.loads(r[2])) for r in rows]


MENTION_SETTING = """mutation($i: NotificationSettingsInput!) { updateNotificationSettings(input: $i) {
  emailOnMention emailOnTaskChange } }"""


async def test_email_on_mention_is_a_setting_that_defaults_to_on(api: Api) -> None:
    user = await api.signup("Quiet")
    settings = "{ viewer { notificationSettings { emailOnMention } } }"
    assert (await api.ok(settings, token=user["token"]))["viewer"]["notificationSettings"]["emailOnMention"] is True
    off = (await api.ok(MENTION_SETTING, {"i": {"emailOnMention": False}}, user["token"]))
    assert off["updateNotificationSettings"] == {"emailOnMention": False, "emailOnTaskChange": True}
    assert (await api.ok(settings, token=user["token"]))["viewer"]["notificationSettings"]["emailOnMention"] is False
    body = await api.gql(MENTION_SETTING, {"i": {"emailOnMention": None}}, user["token"])
    assert codes(body) == ["BAD_USER_INPUT"]


COUNTS_PAGE = """query($id: ID!) { board(id: $id) { tasks(first: 30) { edges { node { id commentCount
  comments(first: 2) { totalCount edges { node { id author { id } } } } } } } } }"""


async def test_comment_counts_of_a_page_cost_the_same_statements_for_3_and_30_tasks(api: Api) -> None:
    from tests.api.test_n_plus_one import StatementCounter

    owner = await api.signup("Counter")
    small, big = await new_board(api, owner, "Small"), await new_board(api, owner, "Big")
    for board, n in ((small, 3), (big, 30)):
        for i in range(n):
            task = await create_task(api, owner, board, f"t{i}")
            for j in range(i % 3):
                await api.ok(ADD, {"t": task["id"], "b": f"c{j}"}, owner["token"])
    counter = StatementCounter(api)
    n_small, _ = await counter.count(api, COUNTS_PAGE, {"id": small}, owner["token"])
    n_big, data_big = await counter.count(api, COUNTS_PAGE, {"id": big}, owner["token"])
    counts = [e["node"]["commentCount"] for e in data_big["board"]["tasks"]["edges"]]
    assert sorted(counts) == sorted(i % 3 for i in range(30))
    assert all(e["node"]["comments"]["totalCount"] == e["node"]["commentCount"]
               for e in data_big["board"]["tasks"]["edges"])
    # Counts, first pages of comments and their authors: one batched query each,
    # whatever the number of tasks.
    assert n_big == n_small, (n_small, n_big)


async def test_a_deleted_tasks_comments_go_with_it(api: Api) -> None:
    owner, _, _, _, task = await _team(api)
    c = (await api.ok(ADD, {"t": task["id"], "b": "soon gone"}, owner["token"]))["addComment"]
    await api.ok("mutation($id: ID!) { deleteTask(id: $id) }", {"id": task["id"]}, owner["token"])
    assert codes(await api.gql(NODE, {"id": c["id"]}, owner["token"])) == ["NOT_FOUND"]
    assert codes(await api.gql(UPDATE, {"id": c["id"], "b": "x"}, owner["token"])) == ["NOT_FOUND"]
    assert codes(await add(api, owner, task["id"], "late")) == ["NOT_FOUND"]
