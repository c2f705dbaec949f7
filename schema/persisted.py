"""Persisted operations: Apollo's automatic persisted queries (APQ), and the
allow-list of the web board's documents.

A client sends `extensions.persistedQuery = {version: 1, sha256Hash}` and, the
first time, the document too.  An unknown hash without a document answers
PERSISTED_QUERY_NOT_FOUND (Apollo's code: clients resend with the document on
seeing it), a document whose sha256 is not the hash is refused, and a document
that parses and validates is remembered by its hash: in this process (bounded
by bytes, least recently used out first) and in Redis when there is one, so the
other instances know it too.  Only valid documents are remembered (`register`
is called after validation), so nobody fills the store with junk.

With `only` (TASKBOARD_PERSISTED_ONLY), the documents are the manifest's, built
with the web board: any other hash, and any free text, is refused without being
parsed."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import GraphQLError

from models.errors import ErrorCode

log = logging.getLogger("taskboard.persisted")

# Apollo's protocol code, the one extension of the contract's closed list: clients
# (Apollo's link, ours in web/src) must tell "send the document" from a refusal.
PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"
ONLY_PERSISTED_MESSAGE = "Only the web board's persisted operations are accepted by this server"
MANIFEST_NAME = "persisted-manifest.json"
REDIS_PREFIX = "taskboard:apq:"
# A remembered document lives this long in Redis after its last registration.
REDIS_TTL_SECONDS = 7 * 86400
# What an in-process entry costs besides its text: the hash key, the node, the str headers.
ENTRY_OVERHEAD_BYTES = 256
_HASH = re.compile(r"[0-9a-f]{64}")


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def _bad(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": ErrorCode.BAD_USER_INPUT.value})


def not_found_error() -> GraphQLError:
    return GraphQLError(NOT_FOUND_MESSAGE, extensions={"code": PERSISTED_QUERY_NOT_FOUND})


def is_not_found(errors: list[GraphQLError]) -> bool:
    return any((e.extensions or {}).get("code") == PERSISTED_QUERY_NOT_FOUND for e in errors)


@dataclass(frozen=True, slots=True)
class Resolved:
    """The document to run; `hash` when it came as a persisted operation, and
    `register` when it is new here (remember it once it proved valid)."""

    query: str
    hash: str | None = None
    register: bool = False


def load_manifest(path: Path) -> dict[str, str]:
    """`{sha256: document}` as the web build writes it; every hash checked."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a persisted-operation manifest is a JSON object of hash -> document")
    for digest, document in data.items():
        if not isinstance(document, str) or sha256_hex(document) != digest:
            raise ValueError(f"{path}: the entry {digest[:16]}... is not the sha256 of its document")
    return dict(data)


class PersistedStore:
    def __init__(self, *, max_bytes: int, max_document_chars: int, redis: Any = None,
                 manifest: dict[str, str] | None = None, only: bool = False) -> None:
        if only and not manifest:
            raise ValueError("persisted operations only, and none are known")
        self.max_bytes = max_bytes
        self.max_document_chars = max_document_chars
        self.redis = redis
        self.manifest = dict(manifest or {})
        self.only = only
        self._local: OrderedDict[str, str] = OrderedDict()
        self._bytes = 0

    @property
    def cached_bytes(self) -> int:
        return self._bytes

    async def resolve(self, query: Any, extensions: Any) -> Resolved | list[GraphQLError]:
        """The document a request names, or why there is none.  `query` is what the
        request's `query` held (None when absent), unchecked."""
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if extensions is not None and not isinstance(extensions, dict):
            return [_bad("`extensions` must be an object")]
        if persisted is None:
            if self.only:
                return [_bad(ONLY_PERSISTED_MESSAGE)]
            if not isinstance(query, str) or not query.strip():
                return [_bad("`query` must be a non-empty string")]
            return Resolved(query)
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            return [_bad("persistedQuery: only version 1 is supported")]
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not _HASH.fullmatch(digest):
            return [_bad("persistedQuery.sha256Hash must be 64 lowercase hex digits")]
        if query is not None and not isinstance(query, str):
            return [_bad("`query` must be a string")]
        if self.only:
            # The manifest's own text runs; what the client sent is never parsed.
            known = self.manifest.get(digest)
            return Resolved(known, digest) if known is not None else [_bad(ONLY_PERSISTED_MESSAGE)]
        if query:
            if sha256_hex(query) != digest:
                return [_bad("provided sha does not match query")]
            return Resolved(query, digest, register=await self._lookup(digest) is None)
        found = await self._lookup(digest)
        return Resolved(found, digest) if found is not None else [not_found_error()]

    async def _lookup(self, digest: str) -> str | None:
        found = self.manifest.get(digest)
        if found is not None:
            return found
        found = self._local.get(digest)
        if found is not None:
            self._local.move_to_end(digest)
            return found
        if self.redis is None:
            return None
        try:
            raw = await self.redis.get(REDIS_PREFIX + digest)
        except Exception as exc:  # Redis away: a miss, and the client sends the document
            log.warning("persisted operations: Redis lookup failed (%s)", type(exc).__name__)
            return None
        if raw is None:
            return None
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        if sha256_hex(text) != digest:  # whatever wrote it, it is not this hash's document
            return None
        self._remember(digest, text)
        return text

    async def register(self, resolved: Resolved) -> None:
        """Remember a document that parsed and validated."""
        if not resolved.register or resolved.hash is None or len(resolved.query) > self.max_document_chars:
            return
        self._remember(resolved.hash, resolved.query)
        if self.redis is not None:
            try:
                await self.redis.set(REDIS_PREFIX + resolved.hash, resolved.query, ex=REDIS_TTL_SECONDS)
            except Exception as exc:
                log.warning("persisted operations: Redis store failed (%s)", type(exc).__name__)

    def _remember(self, digest: str, text: str) -> None:
        size = len(text) + ENTRY_OVERHEAD_BYTES
        if digest in self._local or size > self.max_bytes:
            return
        self._local[digest] = text
        self._bytes += size
        while self._bytes > self.max_bytes:
            _, dropped = self._local.popitem(last=False)
            self._bytes -= len(dropped) + ENTRY_OVERHEAD_BYTES
