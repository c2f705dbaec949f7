"""The Dockerfile and .dockerignore at the repo root follow the image rules."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def _logical_lines(text: str) -> list[str]:
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#") and current:
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    if current:
        lines.append(current)
    return lines


def parse() -> tuple[dict[str, str], list[Stage]]:
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in _logical_lines(DOCKERFILE.read_text()):
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            parts = args.split()
            image = parts[0]
            for name, value in global_args.items():
                image = image.replace("${" + name + "}", value).replace("$" + name, value)
            alias = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(image=image, name=alias))
        elif keyword == "ARG" and not stages:
            name, _, default = args.partition("=")
            global_args[name.strip()] = default.strip()
        elif stages:
            stages[-1].instructions.append((keyword, args))
    return global_args, stages


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    assert DOCKERFILE.is_file(), "Dockerfile missing at the repo root"
    return parse()[1]


def test_multi_stage_with_web_builder_and_runtime(stages: list[Stage]) -> None:
    assert len(stages) >= 3
    names = [s.name for s in stages]
    assert "web" in names and "builder" in names
    web = next(s for s in stages if s.name == "web")
    assert web.image.startswith("node:20") and "bookworm-slim" in web.image
    assert any("npm ci" in run for run in web.all("RUN"))
    assert any("npm run build" in run for run in web.all("RUN"))
    builder = next(s for s in stages if s.name == "builder")
    assert any("pip wheel" in run for run in builder.all("RUN"))


def test_base_images_pinned_to_exact_versions(stages: list[Stage]) -> None:
    for stage in stages:
        image = stage.image
        assert "$" not in image, f"unresolved image {image}"
        # by digest (what is pulled), with the exact version tag beside it (what a person reads)
        image, at, digest = image.partition("@sha256:")
        assert at and re.fullmatch(r"[0-9a-f]{64}", digest), f"{stage.image} is not pinned by digest"
        name, _, tag = image.rpartition(":")
        assert name and tag, f"{image} has no tag"
        assert tag != "latest", image
        # an exact version: major.minor.patch, not a floating "3.12-slim"
        assert re.match(r"^\d+\.\d+\.\d+", tag), f"{image} is not pinned to an exact version"
    final = stages[-1]
    assert final.image.startswith("python:3.12.") and final.image.split("@")[0].endswith("-slim-bookworm")


def test_final_stage_runs_as_non_root(stages: list[Stage]) -> None:
    users = stages[-1].all("USER")
    assert users, "final stage has no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    assert user == "10001"


def test_final_stage_healthcheck_uses_python_against_healthz(stages: list[Stage]) -> None:
    checks = stages[-1].all("HEALTHCHECK")
    assert len(checks) == 1
    assert "python" in checks[0] and "http://127.0.0.1:8000/healthz" in checks[0]
    assert "curl" not in checks[0]


def test_final_stage_has_no_compilers(stages: list[Stage]) -> None:
    final = stages[-1]
    text = " ".join(final.all("RUN"))
    for tool in ("build-essential", "gcc", "g++", "clang", "make ", "apt-get install"):
        assert tool not in text, f"final stage installs {tool.strip()}"
    assert not any("FROM" in kw for kw, _ in final.instructions)


def test_final_stage_runtime_settings(stages: list[Stage]) -> None:
    final = stages[-1]
    env = " ".join(final.all("ENV"))
    assert "TASKBOARD_ENV=production" in env
    assert "TASKBOARD_WEB_DIR=/app/web/dist" in env
    assert "8000" in final.all("EXPOSE")
    cmd = shlex.split(final.all("CMD")[-1].replace("[", "").replace("]", "").replace(",", " "))
    assert cmd == ["taskboard", "serve", "--host", "0.0.0.0", "--port", "8000"]  # noqa: S104
    copies = final.all("COPY")
    assert any("--from=web" in c and "/app/web/dist" in c for c in copies)


def test_dockerignore_excludes_local_state() -> None:
    assert DOCKERIGNORE.is_file(), ".dockerignore missing"
    patterns = {line.strip().rstrip("/") for line in DOCKERIGNORE.read_text().splitlines()}
    patterns.discard("")
    for required in (".git", ".venv", "tests"):
        assert required in patterns, required
    assert "node_modules" in patterns or "**/node_modules" in patterns


# ---------------------------------------------------------------------------
# Reproducible, slim: the image installs the runtime lock (hashes), without the emulator
# ---------------------------------------------------------------------------
LOCKS = REPO_ROOT / "requirements"
EMULATOR_ONLY = {"moto", "flask", "flask-cors", "cfn-lint", "docker", "aws-sam-translator", "werkzeug"}


def locked(path: Path) -> dict[str, list[str]]:
    """name -> the sha256 hashes of each `name==version` requirement of a uv/pip-tools lock."""
    out: dict[str, list[str]] = {}
    for req in re.split(r"\n(?=[A-Za-z0-9])", path.read_text()):
        head = re.match(r"([A-Za-z0-9._-]+)==\S+", req)
        if head:
            out[head.group(1).lower().replace("_", "-")] = re.findall(r"--hash=sha256:([0-9a-f]{64})", req)
    return out


def test_the_image_installs_the_runtime_lock_with_hashes(stages: list[Stage]) -> None:
    builder = next(s for s in stages if s.name == "builder")
    runtime = stages[-1]
    assert "requirements/runtime.lock ./" in builder.all("COPY")
    wheel = " ".join(builder.all("RUN"))
    assert "pip wheel --require-hashes" in wheel and "-r runtime.lock" in wheel
    install = " ".join(runtime.all("RUN"))
    assert "--require-hashes" in install and "--no-index" in install and "runtime.lock" in install


def test_every_locked_requirement_carries_its_hashes() -> None:
    for name in ("runtime.lock", "dev.lock"):
        reqs = locked(LOCKS / name)
        assert len(reqs) > 30, f"{name} looks empty"
        assert all(reqs.values()), f"{name}: requirements without --hash: {[n for n, h in reqs.items() if not h]}"


def test_the_runtime_lock_has_every_dependency_and_no_emulator() -> None:
    import tomllib

    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    runtime, dev = locked(LOCKS / "runtime.lock"), locked(LOCKS / "dev.lock")

    def names(reqs: list[str]) -> set[str]:
        return {re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in reqs}

    assert names(project["dependencies"]) <= set(runtime)
    assert not EMULATOR_ONLY & set(runtime), "the production image must not carry the emulator"
    assert "moto" in names(project["optional-dependencies"]["local"])
    assert {"moto", "flask", "pytest"} <= set(dev), "development installs the emulator and the tools"


def test_the_image_carries_the_rds_ca_bundle_the_service_verifies_mysql_with(stages: list[Stage]) -> None:
    """RDS's CAs (rds-ca-rsa2048-g1, ...) are not public roots: TLS to MySQL verifies
    against Amazon's bundle, fetched over https only in a throwaway stage."""
    fetch = next(s for s in stages if s.name == "rds-ca")
    text = " ".join(fetch.all("RUN") + fetch.all("ARG"))
    assert "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem" in text
    assert "get_ca_certs" in text, "the fetched file must be checked to hold certificates"
    final = stages[-1]
    assert any("--from=rds-ca" in c and "/etc/taskboard/rds-global-bundle.pem" in c for c in final.all("COPY"))
    assert "TASKBOARD_DATABASE_CA_FILE=/etc/taskboard/rds-global-bundle.pem" in " ".join(final.all("ENV"))
