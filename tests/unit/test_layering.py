"""The import direction of docs/ARCHITECTURE.md: taskboard -> schema -> resolvers
-> auth, notify -> models.  A package imports only packages to its right (auth and
notify not each other), and nothing below schema imports a web or GraphQL
framework: resolvers run without Strawberry, and the mail Lambda ships notify/
with the standard library and boto3 alone.  Every import counts, the ones inside
functions and under TYPE_CHECKING too."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.unit.test_code_size import REPO, product_modules

LAYER = {"taskboard": 4, "schema": 3, "resolvers": 2, "auth": 1, "notify": 1, "models": 0}
FRAMEWORKS = frozenset({"strawberry", "graphql", "starlette", "uvicorn", "websockets"})


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """(line, top-level name) of every absolute import in `path`."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


def wrong_way(path: Path, root: Path = REPO) -> list[str]:
    """Each import of `path` against the direction, as a line."""
    package = path.relative_to(root).parts[0]
    name = path.relative_to(root).as_posix()
    found = []
    for line, top in imported(path):
        if top in LAYER and top != package and LAYER[top] >= LAYER[package]:
            found.append(f"{name}:{line} imports {top}")
        elif top in FRAMEWORKS and LAYER[package] < LAYER["schema"]:
            found.append(f"{name}:{line} imports {top} (no framework below schema)")
    return found


def test_imports_point_one_way() -> None:
    found = [line for path in product_modules() for line in wrong_way(path)]
    assert not found, "imports against the direction taskboard -> schema -> resolvers -> auth, notify -> models:\n" \
        + "\n".join(found)


def test_the_check_names_each_wrong_import(tmp_path: Path) -> None:
    (tmp_path / "notify").mkdir()
    probe = tmp_path / "notify" / "probe.py"
    probe.write_text("import strawberry\nfrom models import events\n\n\n"
                     "def late():\n    from resolvers.context import Ctx\n    from auth import tokens\n")
    assert wrong_way(probe, tmp_path) == [
        "notify/probe.py:1 imports strawberry (no framework below schema)",
        "notify/probe.py:6 imports resolvers",
        "notify/probe.py:7 imports auth",
    ]
