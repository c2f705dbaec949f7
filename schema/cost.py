"""The query cost limit (contract, "Limits"): each selected field costs 1 times the
lengths of the lists it sits in, so one request cannot ask for a million nodes.

A list's length is what the request may get back at most:
- a connection's `edges`: the connection field's `first` (its literal, else the
  variable's value, else the variable's default, else the argument's default);
- a list field with a `first` argument of its own: that `first`;
- a plain list (`members`, `labels`, `invitations`, `mentions`): it has no argument that
  bounds it, so it counts as `PLAIN_LIST` (10) items, what a board's lists hold in
  practice, unless `LIST_BOUNDS` knows better: a task's labels count their cap (20), and
  the viewer's `boards` count as a full page (100), so `boards { tasks(first: 100) { ... } }`
  is priced for a person with many boards, not one. The contract multiplies by `first`
  arguments only; this prices the plain lists too, so the bound stays an upper bound of
  what one request may fetch, and a board page with its members, and a `myTasks` page with
  each task's board members, stay far under the limit (tests/unit/test_query_cost.py).

Fields under @skip/@include count as selected (the cost is an upper bound), and
introspection's `__schema`/`__type` are exempt as they are from the depth limit.

The cost is linear in the document's size: the cost of a selection at a multiplier
m is m times its cost at 1, so each fragment is costed once (per page context) and
a spread adds it again, however often and deeply it is spread."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)

from models.errors import ErrorCode
from resolvers.label_store import MAX_LABELS_PER_TASK

INTROSPECTION_ROOTS = {"__schema", "__type"}
# What a plain list (no `first`) counts as: LIST_BOUNDS for the lists whose length is known
# (a cap the API keeps, or a page), PLAIN_LIST for the others.
PLAIN_LIST = 10
LIST_BOUNDS: dict[tuple[str, str], int] = {("Task", "labels"): MAX_LABELS_PER_TASK, ("Query", "boards"): 100}
# What `extensions.cost` may say: a JSON number every client reads exactly.
MAX_REPORTED_COST = 2**53 - 1


class _Costing:
    def __init__(self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode],
                 operation: OperationDefinitionNode, variables: Mapping[str, Any] | None, page_size: int) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables or {}
        self.defaults = {d.variable.name.value: d.default_value for d in operation.variable_definitions or ()}
        self.page_size = page_size
        self.memo: dict[tuple[str, int | None], int] = {}
        self.open: set[str] = set()
        self.used: set[str] = set()  # variables the cost depends on

    def first(self, node: FieldNode, field: GraphQLField) -> int | None:
        """The `first` a field is asked with, or None when it takes none."""
        arg = field.args.get("first")
        if arg is None:
            return None
        default = arg.default_value if _is_int(arg.default_value) else self.page_size
        value = next((a.value for a in node.arguments or () if a.name.value == "first"), None)
        if isinstance(value, VariableNode):
            name = value.name.value
            self.used.add(name)
            if name in self.variables:  # null or a wrong type: the default (execution refuses a wrong type)
                return max(_as_int(self.variables[name], default), 0)
            value = self.defaults.get(name)
        if isinstance(value, IntValueNode):
            return max(int(value.value), 0)
        return default  # absent or null: the resolver takes the default

    def selection(self, sel: SelectionSetNode, parent: Any, page: int | None) -> int:
        """The cost of `sel` at multiplier 1; `page` is the length of the lists directly
        in it (set when `sel` is a connection asked for `first: page`)."""
        total = 0
        fields = getattr(parent, "fields", None) or {}
        for node in sel.selections:
            if isinstance(node, FieldNode):
                name = node.name.value
                if name in INTROSPECTION_ROOTS:
                    continue
                total += 1
                field = fields.get(name)
                if field is None or node.selection_set is None:
                    continue  # a leaf, or `__typename`
                first = self.first(node, field)
                child = get_named_type(field.type)
                if is_list_type(get_nullable_type(field.type)):
                    length = (first if first is not None else page if page is not None
                              else LIST_BOUNDS.get((getattr(parent, "name", ""), name), PLAIN_LIST))
                    total += length * self.selection(node.selection_set, child, None)
                else:
                    total += self.selection(node.selection_set, child, first)
            elif isinstance(node, InlineFragmentNode):
                cond = node.type_condition
                on = self.schema.get_type(cond.name.value) if cond is not None else parent
                total += self.selection(node.selection_set, on or parent, page)
            elif isinstance(node, FragmentSpreadNode):
                total += self.fragment(node.name.value, page)
        return total

    def fragment(self, name: str, page: int | None) -> int:
        key = (name, page)
        if key in self.memo:
            return self.memo[key]
        frag = self.fragments.get(name)
        if frag is None or name in self.open:
            return 0  # unknown or cyclic: validation refuses the document
        self.open.add(name)
        try:
            cost = self.selection(frag.selection_set, self.schema.get_type(frag.type_condition.name.value), page)
        finally:
            self.open.discard(name)
        self.memo[key] = cost
        return cost


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _as_int(value: Any, default: int) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if _is_int(value) else default


def query_cost(schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode],
               operation: OperationDefinitionNode, variables: Mapping[str, Any] | None, *,
               page_size: int) -> tuple[int, frozenset[str]]:
    """The operation's cost with these variables, and the variables it depends on."""
    costing = _Costing(schema, fragments, operation, variables, page_size)
    root = schema.get_root_type(operation.operation)
    cost = costing.selection(operation.selection_set, root, None) if root is not None else 0
    return cost, frozenset(costing.used)


def cost_error(cost: int, limit: int) -> GraphQLError:
    return GraphQLError(f"The query costs {cost}; at most {limit} is allowed. Ask for fewer items (`first`) "
                        "or fewer nested lists.",
                        extensions={"code": ErrorCode.BAD_USER_INPUT.value, "cost": min(cost, MAX_REPORTED_COST)})
