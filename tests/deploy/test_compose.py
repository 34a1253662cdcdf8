"""deploy/compose/compose.yaml: valid against the Compose specification's JSON schema (the copy that the pinned
check-jsonschema ships as its builtin `vendor.compose-spec`), checked offline, and wired as issue 9 asks:
health-gated start order, topics created by a one-shot service, config files present, no floating tags."""

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from shared.contracts.events import Topic
from tests.deploy.manifests import ROOT

COMPOSE = ROOT / "deploy" / "compose" / "compose.yaml"
APPS = ("intake", "eligibility", "scheduler")
EXPECTED = {
    "kafka",
    "kafka-topics",
    "postgres",
    "otel-collector",
    "jaeger",
    "prometheus",
    "grafana",
    "migrate",
    "console",
    *APPS,
}


def check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_the_compose_file_is_valid_against_the_compose_specification() -> None:
    result = check_jsonschema(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_validator_rejects_a_broken_compose_file(compose: dict[str, Any], tmp_path: Path) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["intake"]["depends_on"]["kafka"]["condition"] = "service_ready"
    broken["services"]["eligibility"]["healthcheck"]["retries"] = "many"
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(broken))
    result = check_jsonschema(path)
    assert result.returncode != 0 and "service_ready" in result.stdout + result.stderr


def test_every_piece_of_the_stack_is_there(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == EXPECTED
    assert compose["services"]["kafka"]["image"].startswith("apache/kafka:4.1.")
    assert compose["services"]["postgres"]["image"].startswith("postgres:15.")


def test_no_image_floats(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: {image}"


def test_start_order_is_gated_on_health(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("kafka", "postgres", "prometheus", *APPS):
        assert "healthcheck" in services[name], f"{name} has no health check to gate on"
    for name in APPS:
        depends = services[name]["depends_on"]
        assert depends["kafka"]["condition"] == "service_healthy"
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["kafka-topics"]["condition"] == "service_completed_successfully"
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert "/readyz" in " ".join(services[name]["healthcheck"]["test"])
    assert services["kafka-topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"


def test_the_one_shot_creates_every_topic_and_dead_letter_topic(compose: dict[str, Any]) -> None:
    topics = compose["services"]["kafka-topics"]
    assert topics["restart"] == "no"
    script = "\n".join(topics["command"])
    for topic in Topic:
        assert topic.value in script
    assert '"$$topic.dlq"' in script and "--if-not-exists" in script


def test_the_services_are_built_from_the_one_dockerfile_with_their_own_service_argument(
    compose: dict[str, Any],
) -> None:
    for name in APPS:
        build = compose["services"][name]["build"]
        assert (
            COMPOSE.parent / build["context"] / build["dockerfile"]
        ).resolve() == ROOT / "deploy/docker/Dockerfile"
        assert build["args"]["SERVICE"] == name
        assert (
            compose["services"][name]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"]
            == "http://otel-collector:4318"
        )


def test_the_console_starts_after_the_services_it_calls_and_calls_them_by_name(
    compose: dict[str, Any],
) -> None:
    console = compose["services"]["console"]
    assert console["build"]["args"]["SERVICE"] == "console"
    assert {name: d["condition"] for name, d in console["depends_on"].items()} == dict.fromkeys(
        APPS, "service_healthy"
    )
    for name in APPS:
        assert console["environment"][f"{name.upper()}_URL"] == f"http://{name}:8000"
    assert "/readyz" in " ".join(console["healthcheck"]["test"])


def test_mounted_config_files_exist(compose: dict[str, Any]) -> None:
    mounted = [
        volume.split(":")[0]
        for service in compose["services"].values()
        for volume in service.get("volumes", [])
        if volume.startswith(".")
    ]
    assert mounted
    for source in mounted:
        assert (COMPOSE.parent / source).exists(), source
    otel = yaml.safe_load((ROOT / "deploy/otel/collector.yaml").read_text())
    assert otel["service"]["pipelines"]["traces"]["receivers"] == ["otlp"]
    prometheus = yaml.safe_load((ROOT / "deploy/prometheus/prometheus-compose.yaml").read_text())
    targets = {t for job in prometheus["scrape_configs"] for c in job["static_configs"] for t in c["targets"]}
    assert {f"{name}:8000" for name in APPS} <= targets
