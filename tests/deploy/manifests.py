"""Offline validation of the deployment files: render deploy/k8s with the real kustomize (pinned, installed by
deploy/local/kustomize.sh), validate built-in kinds with kubernetes-validate's bundled JSON schemas and
Strimzi KafkaTopics with the vendored CRD schema (tests/deploy/schemas/README.md says where it is from)."""

import copy
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate  # type: ignore[import-untyped]
import yaml  # type: ignore[import-untyped]
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
# The oldest Kubernetes minor the manifests must apply to (HPA autoscaling/v2, PDB policy/v1: all GA).
KUBERNETES_VERSION = "1.33"
SCHEMAS = Path(__file__).parent / "schemas"
PLACEHOLDER = "dev-only-change-me"

Manifest = dict[str, Any]


def kustomize_binary() -> str:
    """KUSTOMIZE, else .local/bin/kustomize (deploy/local/kustomize.sh), else kustomize on PATH."""
    for candidate in (
        os.environ.get("KUSTOMIZE"),
        str(ROOT / ".local" / "bin" / "kustomize"),
        shutil.which("kustomize"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise FileNotFoundError("kustomize not found: run deploy/local/kustomize.sh (make install does)")


def load_documents(text: str) -> list[Manifest]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


@cache
def _render(path: str) -> str:
    result = subprocess.run(
        [kustomize_binary(), "build", path], capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise AssertionError(f"kustomize build {path} failed:\n{result.stderr}")
    return result.stdout


def render(path: Path) -> list[Manifest]:
    return load_documents(_render(str(path)))


def of_kind(manifests: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


# ------------------------------------------------------------------------------------------------ schemas


def _definitions_dir() -> Any:
    return (
        resources.files("kubernetes_validate")
        .joinpath("kubernetes-json-schema")
        .joinpath(f"v{KUBERNETES_VERSION}.0-local-strict")
    )


@cache
def _kubernetes_definitions() -> Resource[Any]:
    return Resource.from_contents(json.loads(_definitions_dir().joinpath("_definitions.json").read_text()))


def _strict(node: Any) -> Any:
    """openAPIV3Schema -> strict JSON Schema, as kubeconform's openapi2jsonschema --strict does."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _strict(value) for key, value in node.items()}
    if (
        "properties" in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
        and "additionalProperties" not in out
    ):
        out["additionalProperties"] = False
    return out


@cache
def kafka_topic_schema() -> dict[str, Any]:
    raw = json.loads((SCHEMAS / "strimzi-kafkatopic-v1.json").read_text())
    schema: dict[str, Any] = _strict(copy.deepcopy(raw))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["properties"]["metadata"] = {
        "$ref": "https://kubernetes.io/api/_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    }
    schema["properties"]["apiVersion"] = {"const": "kafka.strimzi.io/v1"}
    schema["properties"]["kind"] = {"const": "KafkaTopic"}
    schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata"})
    return schema


def schema_errors(manifest: Manifest) -> list[str]:
    """Every way a manifest breaks its schema; an unknown kind is an error, never a silent pass."""
    where = f"{manifest.get('kind')}/{manifest.get('metadata', {}).get('name')}"
    if manifest.get("apiVersion") == "kafka.strimzi.io/v1" and manifest.get("kind") == "KafkaTopic":
        registry: Registry[Any] = _kubernetes_definitions() @ Registry()
        validator = jsonschema.Draft202012Validator(kafka_topic_schema(), registry=registry)
        return [
            f"{where}: {'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in validator.iter_errors(manifest)
        ]
    try:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{where}: {'.'.join(map(str, error.path)) or '<root>'}: {error.message}"]
    except kubernetes_validate.SchemaNotFoundError as error:
        return [f"{where}: {error.message}"]
    return []


def containers(manifest: Manifest) -> Iterator[Manifest]:
    spec = manifest["spec"]["template"]["spec"]
    yield from spec.get("initContainers", [])
    yield from spec["containers"]
