"""The root types, assembled from the areas' classes (schema.accounts, boards,
labels, tasks, comments, client, live) in the order the contract lists their
fields, and `node`, which reaches every area."""

from __future__ import annotations

import strawberry
from strawberry import ID
from strawberry.tools import merge_types

from resolvers import nodes
from schema.accounts import AccountMutation, AccountQuery, SessionMutation, SettingsMutation, User
from schema.boards import Board, BoardInvitation, BoardMutation, BoardQuery, MembershipMutation
from schema.client import ClientQuery
from schema.comments import Comment, CommentMutation
from schema.common import Node
from schema.context import Info
from schema.labels import BoardAdminMutation, Label, LabelMutation
from schema.live import LiveSubscription
from schema.tasks import MoveMutation, MyTasksQuery, TaskMutation, TaskQuery, task_of


@strawberry.type
class NodeQuery:
    @strawberry.field
    async def node(self, info: Info, id: ID) -> Node | None:
        kind, rec = await nodes.node(info.context, str(id))
        if kind == "Board":
            return Board.of(rec)
        if kind == "Task":
            return await task_of(info.context, rec)
        if kind == "Label":
            return Label.of(rec)
        if kind == "Comment":
            return Comment.of(rec)
        if kind == "BoardInvitation":
            return BoardInvitation.of(rec)
        return User.of(rec)


Query = merge_types("Query", (AccountQuery, BoardQuery, TaskQuery, NodeQuery, MyTasksQuery, ClientQuery))
Mutation = merge_types("Mutation", (
    SessionMutation, BoardMutation, TaskMutation, SettingsMutation, CommentMutation, MoveMutation, AccountMutation,
    MembershipMutation, LabelMutation, BoardAdminMutation))
Subscription = merge_types("Subscription", (LiveSubscription,))
