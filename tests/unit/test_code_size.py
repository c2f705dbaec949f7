"""Issue 15's size bar for the product packages: no module over 400 lines, no
class over 200, no function over 60 (models/migrations, frozen history, aside).
A failure names every offender with its size."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("taskboard", "schema", "resolvers", "auth", "notify", "models")
MAX_MODULE, MAX_CLASS, MAX_FUNCTION = 400, 200, 60


def product_modules() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if "migrations" not in path.relative_to(REPO).parts:
                yield path


def offenders(path: Path, root: Path = REPO) -> list[str]:
    """Each module, class and function of `path` over its size, as a line."""
    source = path.read_text()
    name = path.relative_to(root).as_posix()
    found = []
    lines = len(source.splitlines())
    if lines > MAX_MODULE:
        found.append(f"module {name}: {lines} lines (max {MAX_MODULE})")
    for node in ast.walk(ast.parse(source, filename=name)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            kind, limit = "function", MAX_FUNCTION
        elif isinstance(node, ast.ClassDef):
            kind, limit = "class", MAX_CLASS
        else:
            continue
        assert node.end_lineno is not None
        size = node.end_lineno - node.lineno + 1  # decorators not counted
        if size > limit:
            found.append(f"{kind} {name}:{node.lineno} {node.name}: {size} lines (max {limit})")
    return found


def test_the_packages_are_where_this_test_looks() -> None:
    assert all((REPO / package / "__init__.py").is_file() for package in PACKAGES)
    assert sum(1 for _ in product_modules()) > 50


def test_no_module_class_or_function_is_over_its_size() -> None:
    found = [line for path in product_modules() for line in offenders(path)]
    assert not found, "over the size bar (issue 15):\n" + "\n".join(found)


def test_the_check_names_each_offender(tmp_path: Path) -> None:
    lines = ["class C:", "    def m(self):", *(f"        x{i} = {i}" for i in range(58)), ""]  # m: 59 lines
    lines += ["def f():", *(f"    y{i} = {i}" for i in range(60))]  # f at line 62: 61 lines
    lines += ["# padding"] * (MAX_MODULE + 1 - len(lines))
    module = tmp_path / "big.py"
    module.write_text("\n".join(lines) + "\n")
    assert offenders(module, tmp_path) == [
        f"module big.py: {MAX_MODULE + 1} lines (max {MAX_MODULE})",
        f"function big.py:62 f: {MAX_FUNCTION + 1} lines (max {MAX_FUNCTION})",
    ]
