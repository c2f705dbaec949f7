"""Running operations: parse and validate once per document text, then let
graphql-core execute against the Strawberry-built schema.

HTTP and websockets both come through here, so the limits (depth, aliases,
tokens, cost, introspection in production) and the error policy are the same
everywhere.  Strawberry's own `Schema.execute` builds five extension objects
and a custom resolve-info per field on every request; a board page executes
~800 fields, so that is skipped and only the schema (types and resolvers) is
Strawberry's.  graphql-core's executor runs with one shortcut (`FastExecutor`,
schema.fast): fields that only read an attribute skip its per-field machinery;
persisted operations run compiled (schema.compiled)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    ASTValidationRule,
    DocumentNode,
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    execute,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from models.errors import ErrorCode
from schema.compiled import compiled_executor
from schema.cost import cost_error, query_cost
from schema.fast import FastExecutor
from schema.fast import plans_for as plans_for  # tests build executors of their own
from schema.internals import IncrementalExecutor, core_schema, optimized_is_awaitable
from schema.limits import contract_errors_of, limits_rule

_tracer = trace.get_tracer("taskboard.graphql")


@dataclass(frozen=True, slots=True)
class Prepared:
    document: DocumentNode
    operation: OperationDefinitionNode
    # A persisted operation's compiled executor (schema.compiled), when it has one.
    executor_class: type[IncrementalExecutor] | None = None


# A parsed document holds about 100 bytes per character of its text (graphql-core's
# AST keeps every token, with its location, linked; measured with tracemalloc on the
# web board's documents: 83-120), so the document cache counts that, not the text.
PARSED_BYTES_PER_CHAR = 100
# Costs remembered per document, by the values of the variables they depend on:
# a few (the web pages `first`) hit; a caller varying them cannot grow it.
_COSTS_PER_DOCUMENT = 8


class _Parsed:
    """A valid document as the cache holds it, with its fragments and the costs
    computed for it (cost depends on the variables a `first` takes)."""

    __slots__ = ("compiled", "costs", "document", "fragments", "size", "variables_of")

    def __init__(self, document: DocumentNode, size: int) -> None:
        self.document = document
        self.size = size
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.variables_of: dict[str | None, frozenset[str]] = {}
        self.costs: dict[tuple[Any, ...], int] = {}
        self.compiled: Any = None  # schema.compiled's plans, made on a persisted run


class Operations:
    def __init__(self, schema: strawberry.Schema, *, max_depth: int, max_aliases: int, max_tokens: int,
                 introspection: bool, production: bool, max_cost: int, page_size: int, cache_bytes: int,
                 cache_document_chars: int, compiled: str = "persisted") -> None:
        """The limits and cache sizes are settings (taskboard.settings has their defaults);
        `compiled`: which operations run compiled (`persisted`, `all` or `off`)."""
        self.compiled = compiled
        self.schema = core_schema(schema)
        self.executor_class = FastExecutor.for_schema(self.schema)
        self.production = production
        self.max_tokens = max_tokens
        self.max_cost = max_cost
        self.page_size = page_size
        rules: list[type[ASTValidationRule]] = [*specified_rules, limits_rule(max_depth, max_aliases)]
        if not introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        self._rules = rules
        # Valid documents only, by text, least recently used out first: an invalid one
        # is parsed again when it comes again (bounded by the token limit), so no caller
        # fills memory with refusals.
        self._documents: OrderedDict[str, _Parsed] = OrderedDict()
        self._bytes = 0
        self.cache_bytes = cache_bytes
        self.cache_document_chars = cache_document_chars

    @property
    def cached_bytes(self) -> int:
        """What the cached documents are counted as holding (their text and AST)."""
        return self._bytes

    def _parsed(self, query: str) -> _Parsed | list[GraphQLError]:
        """Parsed and validated, or the errors; valid documents cached by their text."""
        cached = self._documents.get(query)
        if cached is not None:
            self._documents.move_to_end(query)
            return cached
        try:
            doc = parse(query, max_tokens=self.max_tokens)
        except GraphQLError as err:
            return [err]
        errors = validate(self.schema, doc, self._rules)
        if errors:
            return errors
        size = len(query) * PARSED_BYTES_PER_CHAR
        parsed = _Parsed(doc, size)
        if len(query) <= self.cache_document_chars and size <= self.cache_bytes:
            self._documents[query] = parsed
            self._bytes += size
            while self._bytes > self.cache_bytes:
                self._bytes -= self._documents.popitem(last=False)[1].size
        return parsed

    def prepare_document(self, query: str) -> list[GraphQLError]:
        """Why a document is refused; empty when it is valid (and now cached)."""
        parsed = self._parsed(query)
        return parsed if isinstance(parsed, list) else []

    def prepare(self, query: str, operation_name: str | None, variables: dict[str, Any] | None = None,
                *, persisted: bool = False) -> Prepared | list[GraphQLError]:
        """The operation to run, or why it is refused: the document, or its cost with
        these variables (checked before anything runs).  A persisted operation runs
        compiled (schema.compiled) when the compiler takes it."""
        parsed = self._parsed(query)
        if isinstance(parsed, list):
            return parsed
        operation = get_operation_ast(parsed.document, operation_name)
        if operation is None:
            message = ("No operation with that name in the document" if operation_name
                       else "The document has several operations: name the one to run")
            return [GraphQLError(message, extensions={"code": ErrorCode.BAD_USER_INPUT.value})]
        cost = self.cost(parsed, operation, operation_name, variables)
        if cost > self.max_cost:
            return [cost_error(cost, self.max_cost)]
        # Only a cached document: a plan made for one parsed every time would be made every time.
        if (self.compiled == "off" or (not persisted and self.compiled != "all")
                or self._documents.get(query) is not parsed):
            return Prepared(parsed.document, operation)
        return Prepared(parsed.document, operation,
                        compiled_executor(self.executor_class, self.schema, parsed, operation, variables))

    def cost(self, parsed: _Parsed, operation: OperationDefinitionNode, operation_name: str | None,
             variables: dict[str, Any] | None) -> int:
        names = parsed.variables_of.get(operation_name)
        if names is not None:
            key = _cost_key(operation_name, names, variables)
            if key is not None and (found := parsed.costs.get(key)) is not None:
                return found
        cost, used = query_cost(self.schema, parsed.fragments, operation, variables, page_size=self.page_size)
        parsed.variables_of[operation_name] = used
        key = _cost_key(operation_name, used, variables)
        if key is not None and len(parsed.costs) < _COSTS_PER_DOCUMENT:
            parsed.costs[key] = cost
        return cost

    async def run(self, prepared: Prepared, ctx: Any, variables: dict[str, Any] | None,
                  operation_name: str | None) -> dict[str, Any]:
        """The response body: `data`, and `errors` as the contract shows them.  In a
        span of its own: Strawberry's tracing extension never runs on this path."""
        kind = prepared.operation.operation.value
        name = operation_name or (prepared.operation.name.value if prepared.operation.name else "")
        with _tracer.start_as_current_span(f"graphql.{kind} {name}".rstrip(), attributes={
                "graphql.operation.type": kind, "graphql.operation.name": name}) as span:
            result: Any = execute(self.schema, prepared.document, context_value=ctx, variable_values=variables,
                                  operation_name=operation_name,
                                  is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]  # a bool-returning TypeGuard
                                  hide_suggestions=self.production,
                                  executor_class=prepared.executor_class or self.executor_class)
            if isinstance(result, Awaitable):
                result = await result
            body = self.body(result, getattr(ctx, "request_id", "-"))
            if body.get("errors"):
                code = (body["errors"][0].get("extensions") or {}).get("code", "")
                span.set_status(Status(StatusCode.ERROR, str(code)))
            return body

    def body(self, result: ExecutionResult, request_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if result.errors:
            out["errors"] = self.format(list(result.errors), request_id)
        out["data"] = result.data
        return out

    def format(self, errors: list[GraphQLError], request_id: str = "-") -> list[Any]:
        # Without repeats: in production the count of identical masked errors told real names from made-up ones.
        return [e.formatted for e in contract_errors_of(errors, request_id=request_id, production=self.production)]


def _cost_key(operation_name: str | None, names: frozenset[str], variables: dict[str, Any] | None
              ) -> tuple[Any, ...] | None:
    """What a cost depends on: the operation and the values of the variables its
    `first`s take (absent and null differ: the variable's default, or the argument's);
    None for values not worth remembering (strings, lists, objects: a
    long one would stay in memory with the document)."""
    values = variables or {}
    key: list[Any] = [operation_name]
    for name in sorted(names):
        value = values.get(name, _ABSENT)
        if value is not _ABSENT and not isinstance(value, (int, float, bool, type(None))):
            return None
        key.append((type(value).__name__, value))  # 1, 1.0 and True apart
    return tuple(key)


_ABSENT = object()


def is_subscription(prepared: Prepared) -> bool:
    return prepared.operation.operation == OperationType.SUBSCRIPTION
