"""The root types are assembled from one class per area (accounts, boards, tasks, ...):
each area module defines its `@strawberry.type` query and mutation classes and
lists them here; `schema.build_schema` merges them with the core root types."""

from __future__ import annotations

from schema.account_ops import AccountMutation, MembershipMutation
from schema.client import ClientQuery
from schema.comments import CommentMutation
from schema.labels import BoardAdminMutation, LabelMutation
from schema.moves import MoveMutation

QUERY_AREAS: tuple[type, ...] = (ClientQuery,)
MUTATION_AREAS: tuple[type, ...] = (CommentMutation, MoveMutation, AccountMutation, MembershipMutation,
                                     LabelMutation, BoardAdminMutation)
