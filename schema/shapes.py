"""Shapes: how a compiled plan builds a selection read from plain attributes all
the way down (a page's edges, each task with its people) in one recursion
(`fill`), with graphql-core's answers: a value it does not expect gives MISS, and
the selection then takes graphql-core's way, which reports what it finds."""

from __future__ import annotations

from enum import Enum
from typing import Any

from graphql import GraphQLEnumType, GraphQLID, GraphQLInt, GraphQLString, Undefined, get_nullable_type

from schema.fast import Step

# A selection built from plain attributes alone: per field (response name, kind,
# attribute, what the kind needs, nullable).  LEAF: a scalar or enum and its coerce
# (STR: a String or ID, INT: an Int, which a value of exactly that type skips);
# CONSTANT: `__typename`, its value; OBJECT: (the object's shape, the class its values
# must be or None); LIST: a list of objects, (their shape, class, items nullable).
Shape = tuple[tuple[str, int, str, Any, bool], ...]
STR, INT, LEAF, CONSTANT, OBJECT, LIST = range(6)
MISS: Any = object()  # `fill` met what the shape does not expect
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1  # GraphQL's Int


def fill(shape: Shape, source: Any) -> Any:
    """The result of `shape` on `source`, or MISS when a value is missing, null where
    null is not allowed, refused by its type or of another class: graphql-core then
    completes the selection and reports what it finds, as it always does."""
    out: dict[str, Any] = {}
    for name, kind, attribute, need, nullable in shape:
        if kind == CONSTANT:
            out[name] = need
            continue
        value = getattr(source, attribute, Undefined)
        if value is None:
            if not nullable:
                return MISS
            out[name] = None
        elif value is Undefined:
            return MISS
        elif kind <= LEAF:
            if (kind == STR and type(value) is str) or (
                    kind == INT and type(value) is int and _INT_MIN <= value <= _INT_MAX):
                out[name] = value  # what the coerce would give
                continue
            try:
                coerced = need(value)
            except Exception:
                return MISS
            if coerced is None or coerced is Undefined:
                return MISS
            out[name] = coerced
        elif kind == OBJECT:
            if need[1] is not None and type(value) is not need[1]:
                return MISS
            done = fill(need[0], value)
            if done is MISS:
                return MISS
            out[name] = done
        else:
            items = _fill_list(need, value)
            if items is MISS:
                return MISS
            out[name] = items
    return out


def leaf_kind(step: Step) -> int:
    named = get_nullable_type(step.return_type)
    if named is GraphQLString or named is GraphQLID:
        return STR
    return INT if named is GraphQLInt else LEAF


def coerce_of(step: Step) -> Any:
    """The step's coerce; for an enum, its members' names looked up first (Strawberry's
    own walks every value of the enum for each one)."""
    named = get_nullable_type(step.return_type)
    members = getattr(named, "wrapped_cls", None)
    if not isinstance(named, GraphQLEnumType) or not isinstance(members, type) or not issubclass(members, Enum):
        return step.coerce
    names = {member: name for name, value in named.values.items() for member in members
             if member.value == value.value}
    coerce = step.coerce

    def enum_name(value: Any) -> Any:
        found = names.get(value) if type(value) is members else None
        return found if found is not None else coerce(value)  # type: ignore[misc]

    return enum_name


def _fill_list(need: tuple[Shape, type | None, bool], value: Any) -> Any:
    below, cls, item_nullable = need
    if type(value) is not list:
        return MISS
    items: list[Any] = []
    for item in value:
        if item is None:
            if not item_nullable:
                return MISS
            items.append(None)
            continue
        if cls is not None and type(item) is not cls:
            return MISS
        done = fill(below, item)
        if done is MISS:
            return MISS
        items.append(done)
    return items
