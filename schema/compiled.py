"""Compiled execution of persisted operations.

A persisted operation is one document sent again and again (the web board's
BOARD query, the bench's reads), so what graphql-core works out on every
request is worked out once per (document, operation, values of the variables
its @skip/@include read) and kept with the cached document:

- the fields each selection collects: graphql-core memoizes them within one
  request; here they last across requests (the root's too);
- each field's step (schema.fast.Step), looked up once per selection instead
  of once per object;
- lists of objects held in an attribute (a page's edges, a board's members):
  each item's selection runs at once, without graphql-core's per-item
  completion;
- `__typename`: the parent type's name;
- a selection read from plain attributes all the way down (a page's edges, each
  task with its people): its result is built by one recursion over a `Shape`
  (`fill`), with no per-field executor call at all.

This extends FastExecutor instead of being a second executor: resolvers,
loaders, arguments, abstract types, error location and masking, and null
propagation stay graphql-core's, in one place, so a shape the plan does not
cover takes graphql-core's way rather than a second implementation's.  A step
that finds a value it does not expect (a null where none is allowed, another
class) hands the field back to graphql-core, which reports it as it always
does.  Documents with @defer or @stream are not compiled.
tests/unit/test_compiled_differential.py holds the two to the same answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    GraphQLList,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    Undefined,
    VariableNode,
    Visitor,
    get_nullable_type,
    is_non_null_type,
    visit,
)

from schema.fast import FastExecutor, Plans, Step
from schema.internals import IncrementalExecutor, Path, gather_with_cancel, origin_class
from schema.shapes import CONSTANT, LIST, MISS, OBJECT, Shape, coerce_of, fill, leaf_kind

# Plans kept per document (one per operation and @skip/@include values): a few
# hit; a caller varying them cannot grow it, the rest run uncompiled.
_PLANS_PER_DOCUMENT = 8
# Memo entries per plan: the selections of a document are finite, so this is never
# reached unless something is not the same object from one request to the next.
_MEMO_ENTRIES = 4096
_ABSENT = object()

def _remembered(memo: dict[tuple[str, int], tuple[Any, Any]], type_name: str, group: Any,
                make: Callable[..., Any], *args: Any) -> Any:
    """`make(*args)` for this type and field group, made once per plan.  The key holds the
    group's id and the entry the group itself: kept alive, its id stays its own."""
    key = (type_name, id(group))
    found = memo.get(key)
    if found is not None and found[0] is group:
        return found[1]
    made = make(*args)
    if len(memo) < _MEMO_ENTRIES:
        memo[key] = (group, made)
    return made


class OperationPlan:
    """What the executions of one compiled operation share."""

    __slots__ = ("entries", "root", "shapes", "subfields")

    def __init__(self) -> None:
        self.root: Any = None
        # (type name, id of the field group) -> (the group, its collected subfields)
        self.subfields: dict[tuple[str, int], tuple[Any, Any]] = {}
        # (type name, id of the selection) -> (the selection, its steps)
        self.entries: dict[tuple[str, int], tuple[Any, Any]] = {}
        self.shapes: dict[tuple[str, int], tuple[Any, Shape | None]] = {}


class CompiledExecutor(FastExecutor):
    plan: OperationPlan
    steps: Plans  # FastExecutor's, with lists of objects and __typename

    def execute_collected_root_fields(self, root_type: GraphQLObjectType, root_value: Any, grouped_field_set: Any,
                                      serially: bool, new_defer_usages: Any) -> Any:
        plan = self.plan
        if plan.root is None:
            plan.root = grouped_field_set
        # The first request's selection, so that what is memoized below it is found again.
        return super().execute_collected_root_fields(root_type, root_value, plan.root, serially, new_defer_usages)

    def collect_subfields(self, return_type: GraphQLObjectType, field_details_list: Any) -> Any:
        return _remembered(self.plan.subfields, return_type.name, field_details_list,
                           super().collect_subfields, return_type, field_details_list)

    def entries(self, parent_type: GraphQLObjectType, grouped_field_set: Any
                ) -> list[tuple[str, Any, Step | None]] | None:
        return _remembered(self.plan.entries, parent_type.name, grouped_field_set,
                           self._entries, parent_type, grouped_field_set)

    def _entries(self, parent_type: GraphQLObjectType, grouped_field_set: Any
                 ) -> list[tuple[str, Any, Step | None]] | None:
        plan = self.steps.get(parent_type.name)
        return None if plan is None else [
            (name, details, plan.get(details[0].node.name.value)) for name, details in grouped_field_set.items()]

    def execute_fields(self, parent_type: GraphQLObjectType, source_value: Any, path: Any, grouped_field_set: Any,
                       position_context: Any) -> Any:
        shape = self.shape(parent_type, grouped_field_set)
        if shape is not None:
            # Plain attributes all the way down (a page's edges, each task with its
            # people): one tight recursion builds the whole result; anything unexpected
            # takes FastExecutor's way for the whole selection, which reports it.
            out = fill(shape, source_value)
            if out is not MISS:
                return out
        return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)

    def shape(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> Shape | None:
        """How to build this selection's result from plain attributes alone (see `fill`),
        or None when a field of it, or of a selection below it, needs a resolver."""
        shape: Shape | None = _remembered(self.plan.shapes, parent_type.name, grouped_field_set,
                                          self._shape, parent_type, grouped_field_set)
        return shape

    def _shape(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> Shape | None:
        entries = self.entries(parent_type, grouped_field_set)
        if entries is None:
            return None
        out: list[tuple[str, int, str, Any, bool]] = []
        for name, details, step in entries:
            if step is None:
                return None
            if step.complete is complete_typename:
                out.append((name, CONSTANT, step.attribute, step.attribute, False))
            elif step.coerce is not None:
                out.append((name, leaf_kind(step), step.attribute, coerce_of(step), step.nullable))
            elif step.object_type is not None and step.complete in (None, complete_object_list):
                grouped, defer_usages, _ = self.collect_subfields(step.object_type, details)
                below = None if defer_usages else self.shape(step.object_type, grouped)
                if below is None:
                    return None
                if step.complete is None:
                    out.append((name, OBJECT, step.attribute, (below, step.cls), step.nullable))
                else:
                    item_nullable = not is_non_null_type(step.item_type)
                    out.append((name, LIST, step.attribute, (below, step.cls, item_nullable), step.nullable))
            else:
                return None
        return tuple(out)

    async def awaited_list(self, out: list[Any], pending: list[int], step: Step, details: Any, path: Path) -> Any:
        try:
            awaited = await gather_with_cancel(*(out[i] for i in pending))
        except Exception as error:
            self.handle_field_error(error, step.return_type, details, path)
            return None
        for index, value in zip(pending, awaited, strict=True):
            out[index] = value
        return out


def complete_object_list(executor: CompiledExecutor, step: Step, source: Any, details: Any, path: Path,
                         position_context: Any) -> Any:
    """A list of objects read from an attribute, or Undefined for graphql-core to
    complete (and report) what is not plainly one."""
    items = getattr(source, step.attribute, Undefined)
    if items is None:
        return None if step.nullable else Undefined
    if type(items) is not list:
        return Undefined
    item_nullable = not is_non_null_type(step.item_type)
    cls = step.cls
    for item in items:
        if item is None:
            if not item_nullable:
                return Undefined
        elif cls is not None and type(item) is not cls:
            return Undefined
    out: list[Any] = []
    pending: list[int] = []
    try:
        for index, item in enumerate(items):
            if item is None:
                out.append(None)
                continue
            done = executor.object_value(step.object_type, step.item_type, item, details,  # type: ignore[arg-type]
                                         Path(path, index, None), position_context)
            out.append(done)
            if executor.is_awaitable(done):
                pending.append(index)
    except Exception as error:
        # As graphql-core does: what was started is settled, then the list is null.
        if pending:
            executor.settle_in_background([out[i] for i in pending])
        executor.handle_field_error(error, step.return_type, details, path)
        return None
    if pending:
        return executor.awaited_list(out, pending, step, details, path)
    return out


def complete_typename(_executor: Any, step: Step, *_: Any) -> str:
    return step.attribute  # a __typename step's attribute is its type's name


def compiled_steps(schema: GraphQLSchema, plans: Plans) -> Plans:
    """FastExecutor's steps, with lists of objects read from an attribute and
    `__typename`, for every object type."""
    steps: Plans = {}
    for gql_type in schema.type_map.values():
        if not isinstance(gql_type, GraphQLObjectType) or gql_type.name.startswith("__"):
            continue
        typed = dict(plans.get(gql_type.name, {}))
        typed["__typename"] = Step(gql_type.name, False, None, complete=complete_typename)
        for name, field in gql_type.fields.items():
            attribute = getattr(field.resolve, "plain_attribute", None)
            listed = get_nullable_type(field.type)
            if attribute is None or field.args or not isinstance(listed, GraphQLList):
                continue
            item = get_nullable_type(listed.of_type)
            if not isinstance(item, GraphQLObjectType):
                continue
            cls = origin_class(item) if item.is_type_of is not None else None
            if item.is_type_of is not None and cls is None:
                continue
            typed[name] = Step(attribute, not is_non_null_type(field.type), field.type, object_type=item, cls=cls,
                               complete=complete_object_list, item_type=listed.of_type)
        steps[gql_type.name] = typed
    return steps


class _Switches(Visitor):
    """The variables @skip and @include read; whether @defer or @stream is used."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.incremental = False

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        name = node.name.value
        if name in ("defer", "stream"):
            self.incremental = True
        elif name in ("skip", "include"):
            for arg in node.arguments or ():
                if isinstance(arg.value, VariableNode):
                    self.names.add(arg.value.name.value)


class DocumentPlans:
    __slots__ = ("executors", "switches")

    def __init__(self, document: DocumentNode) -> None:
        found = _Switches()
        visit(document, found)
        self.switches: tuple[str, ...] | None = None if found.incremental else tuple(sorted(found.names))
        self.executors: dict[tuple[Any, ...], type[CompiledExecutor]] = {}


def compiled_executor(base: type[FastExecutor], schema: GraphQLSchema, parsed: Any,
                      operation: OperationDefinitionNode, variables: dict[str, Any] | None
                      ) -> type[IncrementalExecutor] | None:
    """The executor class of this operation's plan (one class per plan, made once),
    or None when it is not compiled."""
    plans: DocumentPlans | None = parsed.compiled
    if plans is None:
        plans = parsed.compiled = DocumentPlans(parsed.document)
    if plans.switches is None:
        return None
    key: list[Any] = [id(operation)]  # the node lives as long as the document
    for name in plans.switches:
        value = (variables or {}).get(name, _ABSENT)
        if value is not _ABSENT and value is not None and type(value) is not bool:
            return None  # refused by coercion, graphql-core's way
        key.append(value)
    found = plans.executors.get(tuple(key))
    if found is not None:
        return found
    if len(plans.executors) >= _PLANS_PER_DOCUMENT:
        return None
    steps = getattr(base, "compiled_steps", None)
    if steps is None:
        steps = compiled_steps(schema, base.plans)
        base.compiled_steps = steps  # type: ignore[attr-defined]  # once per schema's executor
    made = type("CompiledExecutor", (CompiledExecutor, base), {"plan": OperationPlan(), "steps": steps})
    plans.executors[tuple(key)] = made
    return made
