"""deploy/k8s: the kustomize base and overlays render with the real kustomize, every rendered manifest is valid
against the Kubernetes (kubernetes-validate, strict) and Strimzi (vendored CRD) schemas, and the rules of
issue 9 hold: probes, resources, PDB and HPA per service, network isolation, placeholder-only secrets,
topics with their DLQs, no floating image tags."""

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from shared.contracts.events import Topic
from tests.deploy.manifests import (
    K8S,
    OVERLAYS,
    PLACEHOLDER,
    Manifest,
    containers,
    of_kind,
    render,
    schema_errors,
)

SERVICES = ("intake", "eligibility", "scheduler")
# The topics each service's consumer group reads: its replicas beyond their partitions would sit idle.
CONSUMES = {
    "intake": ("therapy-recommendations", "mdt-bookings"),
    "eligibility": ("case-events",),
    "scheduler": ("therapy-recommendations", "case-events"),
}
HOSPITAL = {"bonemets.example.org/network": "hospital-integration"}
COORDINATORS = {"bonemets.example.org/network": "coordinators"}
ALL_TOPICS = {t.value for t in Topic} | {f"{t.value}.dlq" for t in Topic}
PINNED_IMAGE = re.compile(
    r"^[\w.\-/:]+:(\d+\.\d+\.\d+[\w.\-]*)(@sha256:[0-9a-f]{64})?$|^[\w.\-/]+@sha256:[0-9a-f]{64}$"
)

TARGETS = {"base": K8S / "base", **{name: K8S / "overlays" / name for name in OVERLAYS}}


@pytest.fixture(scope="module", params=list(TARGETS))
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[Manifest]]:
    return request.param, render(TARGETS[request.param])


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> tuple[str, list[Manifest]]:
    return request.param, render(TARGETS[request.param])


def test_every_rendered_manifest_is_valid_against_its_schema(rendered: tuple[str, list[Manifest]]) -> None:
    name, manifests = rendered
    assert manifests, f"{name} rendered nothing"
    errors = [error for manifest in manifests for error in schema_errors(manifest)]
    assert errors == [], "\n".join(errors)


def test_every_kind_is_there(rendered: tuple[str, list[Manifest]]) -> None:
    _, manifests = rendered
    kinds = {m["kind"] for m in manifests}
    assert {
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "NetworkPolicy",
        "ConfigMap",
        "Job",
        "KafkaTopic",
        "ServiceAccount",
    } <= kinds


def test_the_validators_reject_broken_manifests() -> None:
    manifests = render(TARGETS["prod"])
    deployment = copy.deepcopy(of_kind(manifests, "Deployment")["intake"])
    deployment["spec"]["replicas"] = "two"
    assert schema_errors(deployment)
    deployment = copy.deepcopy(of_kind(manifests, "Deployment")["intake"])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["paht"] = "/readyz"
    assert schema_errors(deployment), "an unknown field must fail (strict schemas)"
    topic = copy.deepcopy(of_kind(manifests, "KafkaTopic")["case-events"])
    topic["spec"]["partitions"] = 0
    assert schema_errors(topic)
    topic = copy.deepcopy(of_kind(manifests, "KafkaTopic")["case-events"])
    topic["spec"]["replica"] = 3
    assert schema_errors(topic)
    topic = copy.deepcopy(of_kind(manifests, "KafkaTopic")["case-events"])
    topic["metadata"]["labels"] = {"strimzi.io/cluster": 1}
    assert schema_errors(topic), "metadata is checked against Kubernetes' ObjectMeta"
    assert schema_errors({"apiVersion": "example.org/v1", "kind": "Unknown", "metadata": {"name": "x"}})


def test_a_broken_kustomization_fails_to_render(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources:\n  - missing.yaml\n")
    with pytest.raises(AssertionError, match="kustomize build"):
        render(tmp_path)


def test_no_image_floats(rendered: tuple[str, list[Manifest]]) -> None:
    _, manifests = rendered
    images = [c["image"] for m in manifests if m["kind"] in ("Deployment", "Job") for c in containers(m)]
    assert images
    for image in images:
        assert not image.endswith(":latest") and PINNED_IMAGE.match(image), image


def test_each_service_has_probes_resources_and_a_locked_down_pod(
    rendered: tuple[str, list[Manifest]],
) -> None:
    _, manifests = rendered
    deployments = of_kind(manifests, "Deployment")
    assert set(deployments) == set(SERVICES)
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][kind]), name
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert pod["automountServiceAccountToken"] is False
        strategy = deployment["spec"]["strategy"]["rollingUpdate"]
        assert strategy["maxUnavailable"] == 0, "a rollout must not drop below the current capacity"


def test_each_service_has_a_service_pdb_and_hpa_bounded_by_its_partitions(
    rendered: tuple[str, list[Manifest]],
) -> None:
    _, manifests = rendered
    deployments = of_kind(manifests, "Deployment")
    services, pdbs, hpas = (
        of_kind(manifests, k) for k in ("Service", "PodDisruptionBudget", "HorizontalPodAutoscaler")
    )
    partitions = {
        t["spec"]["topicName"]: t["spec"]["partitions"] for t in of_kind(manifests, "KafkaTopic").values()
    }
    for name, deployment in deployments.items():
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert _selects(services[name]["spec"]["selector"], pod_labels)
        assert _selects(pdbs[name]["spec"]["selector"]["matchLabels"], pod_labels)
        target = hpas[name]["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", name)
        ceiling = min(partitions[topic] for topic in CONSUMES[name])
        # Each pod's consumer processes are members of the group: more members than partitions sit idle.
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        members_per_pod = int(env.get("CONSUMER_PROCESSES") or 1)
        assert hpas[name]["spec"]["minReplicas"] <= hpas[name]["spec"]["maxReplicas"], name
        assert hpas[name]["spec"]["maxReplicas"] * members_per_pod <= ceiling, name


def test_topics_and_their_dead_letter_topics_are_strimzi_resources(
    rendered: tuple[str, list[Manifest]],
) -> None:
    name, manifests = rendered
    topics = of_kind(manifests, "KafkaTopic")
    assert {t["spec"]["topicName"] for t in topics.values()} == ALL_TOPICS
    for topic in topics.values():
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "bonemets"
        assert topic["spec"]["partitions"] >= 1
        if name == "prod":
            assert topic["spec"]["replicas"] == 3
            assert int(topic["spec"]["config"]["min.insync.replicas"]) == 2


def test_only_intake_and_scheduler_are_reachable_and_each_from_its_own_network(
    rendered: tuple[str, list[Manifest]],
) -> None:
    _, manifests = rendered
    policies = list(of_kind(manifests, "NetworkPolicy").values())
    default_deny = [p for p in policies if p["spec"]["podSelector"] == {}]
    assert default_deny and set(default_deny[0]["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in default_deny[0]["spec"] and "egress" not in default_deny[0]["spec"]
    expected = {"intake": [HOSPITAL], "scheduler": [COORDINATORS], "eligibility": []}
    for name, deployment in of_kind(manifests, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        peers = [
            peer
            for policy in policies
            if "Ingress" in policy["spec"]["policyTypes"] and _selects(policy["spec"]["podSelector"], labels)
            for rule in policy["spec"].get("ingress", [])
            for peer in rule.get("from", [{}])
        ]
        scrape = [p for p in peers if _is_prometheus(p)]
        others = [p.get("namespaceSelector", {}).get("matchLabels") for p in peers if not _is_prometheus(p)]
        assert others == expected[name], f"{name} is reachable from {others}"
        assert all(p.get("podSelector") for p in scrape)


def test_egress_goes_only_to_dns_kafka_postgresql_and_the_collector(
    rendered: tuple[str, list[Manifest]],
) -> None:
    _, manifests = rendered
    namespaces = set()
    for policy in of_kind(manifests, "NetworkPolicy").values():
        for rule in policy["spec"].get("egress", []):
            assert rule.get("to"), (
                f"{policy['metadata']['name']}: an egress rule without peers allows everything"
            )
            for peer in rule["to"]:
                assert "ipBlock" not in peer
                namespaces.add(peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"])
    assert namespaces == {"kube-system", "kafka", "database", "observability"}


def test_secrets_hold_placeholders_only(rendered: tuple[str, list[Manifest]]) -> None:
    name, manifests = rendered
    secrets = of_kind(manifests, "Secret")
    if name == "prod":
        assert secrets == {}, "prod must not apply Secrets: the real ones are managed out of band"
        return
    assert set(secrets) == {"bonemets-api-tokens", "bonemets-database", "bonemets-intake"}
    for secret in secrets.values():
        assert "data" not in secret, "no base64 values: placeholders are written as stringData"
        assert secret["metadata"]["annotations"]["bonemets.example.org/placeholder"] == "true"
        for key, value in secret["stringData"].items():
            if key != "DATABASE_USER":
                assert PLACEHOLDER in value, f"{secret['metadata']['name']}.{key} is not a placeholder"


def test_the_services_read_their_secrets_and_the_migration_job_runs_every_migration(
    overlay: tuple[str, list[Manifest]],
) -> None:
    name, manifests = overlay
    for deployment in of_kind(manifests, "Deployment").values():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        refs = {ref["secretRef"]["name"] for ref in container["envFrom"] if "secretRef" in ref}
        assert {"bonemets-database", "bonemets-api-tokens"} <= refs
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["DATABASE_URL"].startswith("postgresql+asyncpg://$(DATABASE_USER):$(DATABASE_PASSWORD)@")
    job = of_kind(manifests, "Job")["bonemets-migrate"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "-m", "shared.db.migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    (config,) = of_kind(manifests, "ConfigMap").values()
    if name == "prod":
        assert config["data"]["ENVIRONMENT"] == "production"
        assert config["data"]["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert config["data"]["DATABASE_SSLMODE"] == "verify-full"
    else:
        assert config["data"]["ENVIRONMENT"] == "development"


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    match = selector.get("matchLabels", selector) if "matchExpressions" not in selector else None
    assert match is not None, "matchExpressions are not used in these manifests"
    return all(labels.get(key) == value for key, value in match.items())


def _is_prometheus(peer: dict[str, Any]) -> bool:
    name: str | None = peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name")
    return name == "prometheus"
