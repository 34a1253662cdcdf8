"""deploy/docker/Dockerfile: multi-stage, a slim Python 3.11 base pinned to a patch release (never a floating
tag), a non-root user, no build tools in the final stage, a health check on /healthz, and the dependency set
of requirements.lock. No Docker engine runs here, so this reads the file: a docker build in CI does the rest."""

import re

from tests.deploy.manifests import ROOT

DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for keyword, rest in _instructions():
        if keyword == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((keyword, rest))
    return stages


def test_the_base_is_slim_python_311_pinned_to_a_patch_release() -> None:
    args = dict(rest.split("=", 1) for keyword, rest in _instructions() if keyword == "ARG" and "=" in rest)
    base = args["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?(@sha256:[0-9a-f]{64})?", base), base
    froms = [rest for keyword, rest in _instructions() if keyword == "FROM"]
    assert all(f.startswith("${PYTHON_IMAGE}") for f in froms), froms
    assert not any("latest" in rest for _, rest in _instructions())


def test_it_is_multi_stage_and_the_final_stage_has_no_build_tools() -> None:
    stages = _stages()
    assert len(stages) >= 2
    final = " ".join(f"{k} {r}" for k, r in stages[-1])
    for tool in ("apt-get", "gcc", "build-essential", "pip install", "requirements.lock"):
        assert tool not in final, f"final stage mentions {tool}"
    assert "COPY --from=build /opt/venv /opt/venv" in final


def test_dependencies_come_from_the_lock_file() -> None:
    build = " ".join(f"{k} {r}" for k, r in _stages()[0])
    assert "COPY pyproject.toml requirements.lock" in build
    assert "-c requirements.lock" in build and "pip check" in build


def test_it_runs_as_a_numeric_non_root_user_with_a_health_check() -> None:
    final = _stages()[-1]
    users = [rest for keyword, rest in final if keyword == "USER"]
    assert users and users[-1].split(":")[0].isdigit() and users[-1].split(":")[0] != "0"
    (healthcheck,) = [rest for keyword, rest in final if keyword == "HEALTHCHECK"]
    assert "/healthz" in healthcheck
    (cmd,) = [rest for keyword, rest in final if keyword == "CMD"]
    assert 'python -m shared.serve \\"${SERVICE}\\"' in cmd and "${PORT}" in cmd


def test_the_build_context_is_kept_small() -> None:
    ignore = (DOCKERFILE.parent / "Dockerfile.dockerignore").read_text().split()
    assert ignore[0] == "*" or "*" in ignore
    assert {"!shared/", "!services/", "!requirements.lock", "!pyproject.toml"} <= set(ignore)
