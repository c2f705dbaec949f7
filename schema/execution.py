"""Running operations: parse and validate once per document text, then let
graphql-core execute against the Strawberry-built schema.

HTTP and websockets both come through here, so the limits (depth, aliases,
tokens, introspection in production) and the error policy are the same
everywhere.  Strawberry's own `Schema.execute` builds five extension objects
and a custom resolve-info per field on every request; a board page executes
~800 fields, so that is skipped and only the schema (types and resolvers) is
Strawberry's."""

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
from strawberry.execution.is_awaitable import optimized_is_awaitable

from models.errors import ErrorCode
from schema.limits import contract_errors_of, limits_rule


@dataclass(frozen=True, slots=True)
class Prepared:
    document: DocumentNode
    operation: OperationDefinitionNode


class Operations:
    def __init__(self, schema: strawberry.Schema, *, max_depth: int, max_aliases: int, max_tokens: int,
                 introspection: bool, production: bool, cache_size: int = 512) -> None:
        self.schema = schema._schema
        self.production = production
        self.max_tokens = max_tokens
        rules: list[type[ASTValidationRule]] = [*specified_rules, limits_rule(max_depth, max_aliases)]
        if not introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        self._rules = rules
        self._documents: OrderedDict[str, DocumentNode | list[GraphQLError]] = OrderedDict()
        self._cache_size = cache_size

    def document(self, query: str) -> DocumentNode | list[GraphQLError]:
        """Parsed and validated, or the errors; cached by the document's text."""
        cached = self._documents.get(query)
        if cached is not None:
            self._documents.move_to_end(query)
            return cached
        try:
            doc = parse(query, max_tokens=self.max_tokens)
        except GraphQLError as err:
            result: DocumentNode | list[GraphQLError] = [err]
        else:
            errors = validate(self.schema, doc, self._rules)
            result = errors if errors else doc
        self._documents[query] = result
        if len(self._documents) > self._cache_size:
            self._documents.popitem(last=False)
        return result

    def prepare(self, query: str, operation_name: str | None) -> Prepared | list[GraphQLError]:
        doc = self.document(query)
        if isinstance(doc, list):
            return doc
        operation = get_operation_ast(doc, operation_name)
        if operation is None:
            message = ("No operation with that name in the document" if operation_name
                       else "The document has several operations: name the one to run")
            return [GraphQLError(message, extensions={"code": ErrorCode.BAD_USER_INPUT.value})]
        return Prepared(doc, operation)

    async def run(self, prepared: Prepared, ctx: Any, variables: dict[str, Any] | None,
                  operation_name: str | None) -> dict[str, Any]:
        """The response body: `data`, and `errors` as the contract shows them."""
        result: Any = execute(self.schema, prepared.document, context_value=ctx, variable_values=variables,
                              operation_name=operation_name,
                              is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]  # a bool-returning TypeGuard
                              hide_suggestions=self.production)
        if isinstance(result, Awaitable):
            result = await result
        return self.body(result, getattr(ctx, "request_id", "-"))

    def body(self, result: ExecutionResult, request_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if result.errors:
            out["errors"] = self.format(list(result.errors), request_id)
        out["data"] = result.data
        return out

    def format(self, errors: list[GraphQLError], request_id: str = "-") -> list[Any]:
        # Without repeats: in production the count of identical masked errors told real names from made-up ones.
        return [e.formatted for e in contract_errors_of(errors, request_id=request_id, production=self.production)]


def is_subscription(prepared: Prepared) -> bool:
    return prepared.operation.operation == OperationType.SUBSCRIPTION
