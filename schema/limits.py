"""Document limits (depth, aliases) as one validation rule, and the error policy:
every error a client sees carries a contract code, and nothing unexpected leaks."""

from __future__ import annotations

import logging
import re
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

from models.errors import ApiError, ErrorCode

log = logging.getLogger("taskboard.errors")

INTROSPECTION_ROOTS = {"__schema", "__type"}
# graphql-core puts suggestions mid-message too ("... unknown field 'staus'. Did you
# mean 'status'? Found: ..."): remove each "Did you mean ...?" wherever it is.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class DocumentLimits(ValidationRule):
    """Refuses an operation deeper than `max_depth` levels or with more than
    `max_aliases` aliases; `limits_rule` makes one with the settings' values."""

    max_depth = 0
    max_aliases = 0

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        doc = context.document
        self.fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
        # Per fragment: (levels, aliases) below its spread.  Walked once however
        # often it is spread: walking every path took 2**n steps for n fragments
        # that each spread the next twice.
        self.below: dict[str, tuple[int, int]] = {}
        self.open: set[str] = set()

    def _walk(self, sel: SelectionSetNode | None, depth: int) -> tuple[int, int]:
        """(max depth below, aliases below)."""
        if sel is None:
            return depth, 0
        deepest, aliases = depth, 0
        for node in sel.selections:
            if isinstance(node, FieldNode):
                if node.alias is not None:
                    aliases += 1
                if node.name.value in INTROSPECTION_ROOTS:
                    continue  # the standard introspection query is exempt
                d, a = self._walk(node.selection_set, depth + 1) if node.selection_set else (depth + 1, 0)
            elif isinstance(node, InlineFragmentNode):
                d, a = self._walk(node.selection_set, depth)
            elif isinstance(node, FragmentSpreadNode):
                levels, a = self._fragment(node.name.value)
                d = depth + levels
            else:  # pragma: no cover
                continue
            deepest, aliases = max(deepest, d), aliases + a
            if deepest > self.max_depth or aliases > self.max_aliases:
                break  # enough to refuse; stop walking a hostile document
        return deepest, aliases

    def _fragment(self, name: str) -> tuple[int, int]:
        found = self.below.get(name)
        if found is not None:
            return found
        frag = self.fragments.get(name)
        if frag is None or name in self.open:
            return 0, 0  # unknown or cyclic: other rules report it
        self.open.add(name)
        try:
            found = self._walk(frag.selection_set, 0)
        finally:
            self.open.discard(name)
        self.below[name] = found
        return found

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        depth, aliases = self._walk(node.selection_set, 0)
        if depth > self.max_depth:
            self.report_error(GraphQLError(f"The query is {depth} levels deep; at most {self.max_depth} are allowed.",
                                           node, extensions={"code": ErrorCode.BAD_USER_INPUT.value}))
        if aliases > self.max_aliases:
            self.report_error(GraphQLError(
                f"The query has {aliases} aliases; at most {self.max_aliases} are allowed.",
                node, extensions={"code": ErrorCode.BAD_USER_INPUT.value}))


def limits_rule(max_depth: int, max_aliases: int) -> type[ValidationRule]:
    return type("DocumentLimits", (DocumentLimits,), {"max_depth": max_depth, "max_aliases": max_aliases})


INVALID_DOCUMENT = "The document or its variables do not match the API's schema."


def _names_no_schema(error: GraphQLError) -> bool:
    """Messages that say nothing about the schema: syntax errors (the token limit
    too), our own limit errors (they carry a code) and introspection being off.
    graphql-core's validation and coercion messages name fields, arguments and
    types ("Cannot query field 'x' on type 'Query'", "Field 'board' argument 'id'
    of type 'ID!' is required", "must have a selection of subfields"), and with a
    wordlist that is enough to rebuild the schema without introspection
    (clairvoyance): production answers those with one fixed message."""
    return (isinstance(error, GraphQLSyntaxError) or bool((error.extensions or {}).get("code"))
            or error.message.startswith("GraphQL introspection has been disabled"))


def contract_error(error: GraphQLError, *, request_id: str, production: bool) -> GraphQLError:
    """The error as a client may see it."""
    original = error.original_error
    if isinstance(original, ApiError):
        return GraphQLError(original.message, error.nodes, error.source, error.positions, error.path,
                            extensions=dict(original.extensions))
    if original is None or (isinstance(original, (GraphQLError, ValueError, TypeError)) and error.path is None):
        # Syntax, validation and variable-coercion errors: the client's document or input.
        code = (error.extensions or {}).get("code") or ErrorCode.BAD_USER_INPUT.value
        if production and not _names_no_schema(error):
            # No locations either: which names of a document were refused tells
            # the real ones apart.
            return GraphQLError(INVALID_DOCUMENT, extensions={"code": code})
        message = _SUGGESTION.sub("", error.message) if production else error.message
        # Our own limit errors keep what they add (the cost limit's `cost`).
        own = error.extensions or {}
        extensions = {**own, "code": code} if own.get("code") else {"code": code}
        return GraphQLError(message, error.nodes, error.source, error.positions, error.path,
                            extensions=extensions)
    log.error("unexpected error in request %s at %s", request_id, error.path, exc_info=original)
    return GraphQLError("Internal server error", error.nodes, error.source, error.positions, error.path,
                        extensions={"code": ErrorCode.INTERNAL_SERVER_ERROR.value, "requestId": request_id})


def contract_errors_of(errors: list[GraphQLError], *, request_id: str, production: bool) -> list[GraphQLError]:
    """`contract_error` of each, without repeats: in production a document with
    three unknown names and one with a single one get the same one error (the
    count would tell real names from made-up ones)."""
    out: list[GraphQLError] = []
    seen: set[tuple[Any, ...]] = set()
    for error in errors:
        mapped = contract_error(error, request_id=request_id, production=production)
        where = tuple((loc.line, loc.column) for loc in mapped.locations or ())
        key = (mapped.message, tuple(mapped.path or ()), where)
        if key not in seen:
            seen.add(key)
            out.append(mapped)
    return out
