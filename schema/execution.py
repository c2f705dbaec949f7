"""Running operations: parse and validate once per document text, then let
graphql-core execute against the Strawberry-built schema.

HTTP and websockets both come through here, so the limits (depth, aliases,
tokens, cost, introspection in production) and the error policy are the same
everywhere.  Strawberry's own `Schema.execute` builds five extension objects
and a custom resolve-info per field on every request; a board page executes
~800 fields, so that is skipped and only the schema (types and resolvers) is
Strawberry's.  graphql-core's executor runs with one shortcut (`FastExecutor`):
fields that only read an attribute skip its per-field machinery."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

import strawberry
from graphql import (
    ASTValidationRule,
    DocumentNode,
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    Undefined,
    execute,
    get_nullable_type,
    get_operation_ast,
    is_leaf_type,
    is_non_null_type,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.incremental.incremental_executor import IncrementalExecutor
from graphql.pyutils import Path, gather_with_cancel
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.schema_converter import GraphQLCoreConverter

from models.errors import ErrorCode
from schema.cost import cost_error, query_cost
from schema.limits import contract_errors_of, limits_rule


@dataclass(frozen=True, slots=True)
class Step:
    """How to complete one plain-attribute field without graphql-core's per-field
    machinery: a scalar or enum (`coerce`), or an object type (`object_type`, whose
    values must be exactly `cls` when the type checks what it is given)."""

    attribute: str
    nullable: bool
    return_type: Any
    coerce: Callable[[Any], Any] | None = None
    object_type: GraphQLObjectType | None = None
    cls: type | None = None


# Per object type name: response field name -> Step.
Plans = dict[str, dict[str, Step]]


def plans_for(schema: GraphQLSchema) -> Plans:
    """The plain-attribute fields (their resolvers carry `plain_attribute`, set when
    the schema is built) that return a scalar, an enum or an object type."""
    plans: Plans = {}
    for gql_type in schema.type_map.values():
        if not isinstance(gql_type, GraphQLObjectType) or gql_type.name.startswith("__"):
            continue
        plan = {}
        for name, field in gql_type.fields.items():
            attribute = getattr(field.resolve, "plain_attribute", None)
            if attribute is None or field.args:
                continue
            nullable = not is_non_null_type(field.type)
            named = get_nullable_type(field.type)
            if is_leaf_type(named):
                plan[name] = Step(attribute, nullable, field.type, coerce=named.coerce_output_value)
            elif isinstance(named, GraphQLObjectType):
                cls = None
                if named.is_type_of is not None:
                    definition = (named.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
                    cls = getattr(definition, "origin", None)
                    if cls is None:
                        continue
                plan[name] = Step(attribute, nullable, field.type, object_type=named, cls=cls)
        if plan:
            plans[gql_type.name] = plan
    return plans


class FastExecutor(IncrementalExecutor):
    """graphql-core's executor, with a short way for plain-attribute fields (~800 on a
    board page): a scalar or enum is read and coerced, an object's selection is
    executed at once, without the resolve info, argument check, awaitable checks and
    completion steps that graphql-core spends on every field.  The result is the
    same: a value that is missing, null where null is not allowed, refused by its
    type, or of an unexpected class takes graphql-core's own way, which reports it
    as it always does, and an error below an object is located and propagated as
    graphql-core does.  `plans` is set per schema by `for_schema`."""

    plans: Plans = {}

    @classmethod
    def for_schema(cls, schema: GraphQLSchema) -> type[FastExecutor]:
        return type("FastExecutor", (cls,), {"plans": plans_for(schema)})

    def execute_fields(self, parent_type: GraphQLObjectType, source_value: Any, path: Any,
                       grouped_field_set: Any, position_context: Any) -> Any:
        plan = self.plans.get(parent_type.name)
        if plan is None:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        fast: dict[str, Any] = {}
        rest = {}
        pending = []
        try:
            for response_name, details in grouped_field_set.items():
                step = plan.get(details[0].node.name.value)
                if step is not None:
                    value = getattr(source_value, step.attribute, Undefined)
                    if value is None:
                        if step.nullable:
                            fast[response_name] = None
                            continue
                    elif value is Undefined:
                        pass
                    elif step.coerce is not None:
                        try:
                            coerced = step.coerce(value)
                        except Exception:
                            coerced = None
                        if coerced is not None and coerced is not Undefined:
                            fast[response_name] = coerced
                            continue
                    elif step.cls is None or type(value) is step.cls:
                        done = self._object(step, value, details, Path(path, response_name, parent_type.name),
                                            position_context)
                        fast[response_name] = done
                        if self.is_awaitable(done):
                            pending.append(response_name)
                        continue
                rest[response_name] = details
            results = (super().execute_fields(parent_type, source_value, path, rest, position_context)
                       if rest else {})
        except Exception:
            # As graphql-core does: what was started is settled, not abandoned.
            if pending:
                self.settle_in_background([fast[name] for name in pending])
            raise
        if not pending and isinstance(results, dict):
            return _in_order(grouped_field_set, fast, results)
        return self._gathered(grouped_field_set, fast, pending, results)

    def _object(self, step: Step, value: Any, details: Any, path: Path, position_context: Any) -> Any:
        try:
            result = self.collect_and_execute_subfields(cast(GraphQLObjectType, step.object_type), details, path,
                                                        value, position_context)
        except Exception as error:
            self.handle_field_error(error, step.return_type, details, path)
            return None
        if self.is_awaitable(result):
            return self._awaited_object(result, step, details, path)
        return result

    async def _awaited_object(self, result: Awaitable[Any], step: Step, details: Any, path: Path) -> Any:
        try:
            return await result
        except Exception as error:
            self.handle_field_error(error, step.return_type, details, path)
            return None

    @staticmethod
    async def _gathered(grouped_field_set: Any, fast: dict[str, Any], pending: list[str], results: Any) -> Any:
        awaitables = [fast[name] for name in pending]
        if not isinstance(results, dict):
            awaitables.append(results)
        awaited = await gather_with_cancel(*awaitables)
        for name, value in zip(pending, awaited, strict=False):  # the rest's results may come last
            fast[name] = value
        if not isinstance(results, dict):
            results = awaited[-1]
        return _in_order(grouped_field_set, fast, results)


def _in_order(grouped_field_set: Any, fast: dict[str, Any], results: dict[str, Any]) -> dict[str, Any]:
    """Both parts in the order of the selection, as graphql-core would give them."""
    return {name: fast[name] if name in fast else results[name]
            for name in grouped_field_set if name in fast or name in results}


@dataclass(frozen=True, slots=True)
class Prepared:
    document: DocumentNode
    operation: OperationDefinitionNode


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

    __slots__ = ("costs", "document", "fragments", "size", "variables_of")

    def __init__(self, document: DocumentNode, size: int) -> None:
        self.document = document
        self.size = size
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.variables_of: dict[str | None, frozenset[str]] = {}
        self.costs: dict[tuple[Any, ...], int] = {}


class Operations:
    def __init__(self, schema: strawberry.Schema, *, max_depth: int, max_aliases: int, max_tokens: int,
                 introspection: bool, production: bool, max_cost: int, page_size: int, cache_bytes: int,
                 cache_document_chars: int) -> None:
        """The limits and cache sizes are settings (taskboard.settings has their defaults)."""
        self.schema = schema._schema
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

    def prepare(self, query: str, operation_name: str | None,
                variables: dict[str, Any] | None = None) -> Prepared | list[GraphQLError]:
        """The operation to run, or why it is refused: the document, or its cost with
        these variables (checked before anything runs)."""
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
        return Prepared(parsed.document, operation)

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
        """The response body: `data`, and `errors` as the contract shows them."""
        result: Any = execute(self.schema, prepared.document, context_value=ctx, variable_values=variables,
                              operation_name=operation_name,
                              is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]  # a bool-returning TypeGuard
                              hide_suggestions=self.production, executor_class=self.executor_class)
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
