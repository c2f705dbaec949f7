"""The web build's manifest of persisted operations (web/scripts/persisted-manifest.mjs):
every document the board sends, each valid against the served schema, so a server
with TASKBOARD_PERSISTED_ONLY=1 starts and serves the board."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from schema import build_schema
from schema.execution import Operations
from schema.persisted import load_manifest
from taskboard.settings import Settings

WEB = Path(__file__).resolve().parents[2] / "web"
# Where the browser tests are required (CI), the web toolchain is too: no skip there.
REQUIRE = os.environ.get("TASKBOARD_TEST_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    npm = shutil.which("npm")
    if npm and not (WEB / "node_modules" / "typescript").is_dir():
        # A clean clone: install what the web build uses, as the browser tests do.
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True, capture_output=True,
                       timeout=900)
    if shutil.which("node") is None or not (WEB / "node_modules" / "typescript").is_dir():
        reason = "Node.js and the web's node_modules are needed to build the manifest"
        if REQUIRE:
            pytest.fail(f"TASKBOARD_TEST_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("manifest") / "persisted-manifest.json"
    subprocess.run(["node", str(WEB / "scripts" / "persisted-manifest.mjs"), str(out)], check=True,
                   capture_output=True, timeout=120)
    return load_manifest(out)


def test_every_exported_document_is_in_the_manifest(manifest: dict[str, str]) -> None:
    names = set()
    for file in sorted((WEB / "src").glob("*queries.ts")):
        names |= set(re.findall(r"^export const \w+ = `\s*(?:query|mutation|subscription) (\w+)",
                                file.read_text(), re.M))
    assert len(names) > 30
    in_manifest = {m.group(1) for d in manifest.values() if (m := re.match(r"\s*\w+ (\w+)", d))}
    assert names <= in_manifest


def test_every_document_of_the_manifest_is_valid(manifest: dict[str, str]) -> None:
    s = Settings()
    ops = Operations(build_schema(), max_depth=s.max_depth, max_aliases=s.max_aliases, max_tokens=s.max_tokens,
                     introspection=False, production=True, max_cost=s.max_cost, page_size=s.max_page_size,
                     cache_bytes=s.document_cache_bytes, cache_document_chars=s.document_cache_max_chars)
    refused = {d[:60]: ops.prepare_document(d)[0].message for d in manifest.values() if ops.prepare_document(d)}
    assert refused == {}
