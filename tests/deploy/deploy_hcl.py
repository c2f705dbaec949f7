"""Helpers for the deployment tests: parse deploy/*.tf with python-hcl2.

(Not a conftest.py: tests/notify has one, and two top-level ``conftest``
modules would clash for mypy. Test modules define their own fixture.)

python-hcl2 >= 7 keeps the quotes of string literals and block labels and
adds ``__is_block__`` markers; older versions do not. ``normalize`` makes both
shapes look the same: plain strings, no markers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY_DIR = REPO_ROOT / "deploy"

_MARKERS = {"__is_block__", "__comments__", "__inline_comments__", "__start_line__", "__end_line__"}


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"' and '"' not in value[1:-1].replace('\\"', ""):
        return value[1:-1].replace('\\"', '"')
    return value


def normalize(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {_unquote(k): normalize(v) for k, v in obj.items() if k not in _MARKERS}
    if isinstance(obj, list):
        return [normalize(v) for v in obj]
    if isinstance(obj, str):
        return _unquote(obj)
    return obj


class Terraform:
    """All of deploy/*.tf, indexed: resources[type][name] -> body, etc."""

    def __init__(self, directory: Path) -> None:
        self.files: dict[str, str] = {}
        self.resources: dict[str, dict[str, dict[str, Any]]] = {}
        self.data: dict[str, dict[str, dict[str, Any]]] = {}
        self.locals: dict[str, Any] = {}
        self.variables: dict[str, dict[str, Any]] = {}
        self.outputs: dict[str, dict[str, Any]] = {}
        self.terraform: list[dict[str, Any]] = []
        for path in sorted(directory.glob("*.tf")):
            text = path.read_text()
            self.files[path.name] = text
            parsed = normalize(hcl2.loads(text))
            for block in parsed.get("resource", []):
                for rtype, named in block.items():
                    for name, body in named.items():
                        assert name not in self.resources.get(rtype, {}), f"duplicate {rtype}.{name}"
                        self.resources.setdefault(rtype, {})[name] = body
            for block in parsed.get("data", []):
                for dtype, named in block.items():
                    for name, body in named.items():
                        self.data.setdefault(dtype, {})[name] = body
            for block in parsed.get("locals", []):
                self.locals.update(block)
            for block in parsed.get("variable", []):
                self.variables.update(block)
            for block in parsed.get("output", []):
                self.outputs.update(block)
            self.terraform.extend(parsed.get("terraform", []))

    def resource(self, rtype: str, name: str) -> dict[str, Any]:
        assert rtype in self.resources, f"no {rtype} resource in deploy/"
        assert name in self.resources[rtype], f"no {rtype}.{name} in deploy/"
        return self.resources[rtype][name]

    def all_of(self, rtype: str) -> dict[str, dict[str, Any]]:
        return self.resources.get(rtype, {})

    def resolve_list(self, expr: Any) -> list[Any]:
        """A literal list, or a ${local.x} / ${concat(local.a, local.b, [...])} of string lists."""
        if isinstance(expr, list):
            out: list[Any] = []
            for item in expr:
                out.extend(self.resolve_list(item) if isinstance(item, list) else [item])
            return out
        assert isinstance(expr, str), expr
        names = re.findall(r"local\.([A-Za-z0-9_]+)", expr)
        literals = re.findall(r"\[([^\[\]]*)\]", expr)
        assert names or literals, f"cannot resolve list expression {expr!r}"
        out = []
        for name in names:
            assert name in self.locals, f"unknown local.{name}"
            out.extend(self.resolve_list(self.locals[name]))
        for literal in literals:
            out.extend(re.findall(r'"([^"]*)"', literal))
        return out


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The single nested block ``name`` of a resource body."""
    value = body.get(name)
    assert value is not None, f"missing block {name}"
    if isinstance(value, list):
        assert len(value) == 1, f"expected one {name} block, got {len(value)}"
        value = value[0]
    assert isinstance(value, dict), value
    return value


def blocks(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = body.get(name, [])
    return value if isinstance(value, list) else [value]


def load_terraform() -> Terraform:
    assert DEPLOY_DIR.is_dir(), "deploy/ is missing"
    return Terraform(DEPLOY_DIR)
