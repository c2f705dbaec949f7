"""graphql-core's executor with a short way for fields that only read an
attribute (`FastExecutor`), and the steps it takes them by (`Step`, `plans_for`).
schema.compiled builds on it for persisted operations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from graphql import (
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
)

from schema.internals import IncrementalExecutor, Path, gather_with_cancel, origin_class


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
    # A step that completes the field itself (schema.compiled): the value, or
    # Undefined to leave the field to graphql-core.
    complete: Callable[..., Any] | None = None
    item_type: Any = None  # a list's items' type, for `complete`


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
                cls = origin_class(named) if named.is_type_of is not None else None
                if named.is_type_of is not None and cls is None:
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
        entries = self.entries(parent_type, grouped_field_set)
        if entries is None:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        fast: dict[str, Any] = {}
        rest = {}
        pending = []
        try:
            for response_name, details, step in entries:
                if step is not None:
                    if step.complete is not None:  # schema.compiled's steps
                        done = step.complete(self, step, source_value, details,
                                             Path(path, response_name, parent_type.name), position_context)
                        if done is not Undefined:
                            fast[response_name] = done
                            if self.is_awaitable(done):
                                pending.append(response_name)
                            continue
                        rest[response_name] = details
                        continue
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
                        done = self.object_value(cast(GraphQLObjectType, step.object_type), step.return_type, value,
                                                 details, Path(path, response_name, parent_type.name),
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
            # All fields the short way: already in the selection's order.
            return fast if not rest else _in_order(grouped_field_set, fast, results)
        return self._gathered(grouped_field_set, fast, pending, results)

    def entries(self, parent_type: GraphQLObjectType, grouped_field_set: Any
                ) -> list[tuple[str, Any, Step | None]] | None:
        """Each field of the selection with its step (None: graphql-core's way), or
        None when the type has no steps at all."""
        plan = self.plans.get(parent_type.name)
        if plan is None:
            return None
        return [(name, details, plan.get(details[0].node.name.value)) for name, details in grouped_field_set.items()]

    def object_value(self, object_type: GraphQLObjectType, return_type: Any, value: Any, details: Any, path: Path,
                     position_context: Any) -> Any:
        """`value`'s selection executed at once; an error is handled as one of a
        field (or list item) of `return_type` at `path`."""
        try:
            result = self.collect_and_execute_subfields(object_type, details, path, value, position_context)
        except Exception as error:
            self.handle_field_error(error, return_type, details, path)
            return None
        if self.is_awaitable(result):
            return self._awaited_object(result, return_type, details, path)
        return result

    async def _awaited_object(self, result: Awaitable[Any], return_type: Any, details: Any, path: Path) -> Any:
        try:
            return await result
        except Exception as error:
            self.handle_field_error(error, return_type, details, path)
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
