"""deploy/k8s: valid Kubernetes objects, operator resources with what we rely on, and a
kustomization that lists every file. Validated statically (no cluster here):

- rendering: `kubectl kustomize` where kubectl is installed (our machines have Debian's
  kubectl, which bundles kustomize), else the subset in kustomize.py for the base, the overlays
  being skipped; where both run they must agree on the base;
- the built-in kinds: kubernetes-validate's JSON schemas of Kubernetes 1.30, strict (an unknown
  field fails), offline (the schemas are in the package);
- CloudNativePG's Cluster and the RabbitMQ operator's RabbitmqCluster: their schemas are on
  neither PyPI nor npm, so the checks below require the apiVersion, kind and fields we rely on
  and refuse top-level spec fields their API types do not have."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest

from services.registry import SUBSCRIPTIONS
from shared.config import broker_urls
from shared.events.topology import Topology
from tests.cluster.rabbitmq import NODE_CONFIG
from tests.deploy.conftest import rendered
from tests.deploy.kustomize import (
    Doc,
    kubectl,
    kustomization,
    pod_containers,
    pod_spec,
    render_subset,
    render_with_kubectl,
)
from tests.deploy.manifests import K8S, OVERLAYS, find, load_compose

K8S_VERSION = "1.30"
QUANTITY = re.compile(r"^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti)?$")
CNPG = ("postgresql.cnpg.io/v1", "Cluster")
RABBITMQ = ("rabbitmq.com/v1beta1", "RabbitmqCluster")
# Top-level spec fields of the operators' API types (CloudNativePG 1.2x, cluster-operator 2.x).
CRD_SPEC_FIELDS = {
    CNPG: {
        "affinity", "backup", "bootstrap", "certificates", "description", "enablePDB",
        "enableSuperuserAccess", "env", "envFrom", "ephemeralVolumeSource",
        "ephemeralVolumesSizeLimit", "externalClusters", "failoverDelay", "imageCatalogRef",
        "imageName", "imagePullPolicy", "imagePullSecrets", "inheritedMetadata", "instances",
        "livenessProbeTimeout", "logLevel", "managed", "maxSyncReplicas", "minSyncReplicas",
        "monitoring", "nodeMaintenanceWindow", "plugins", "postgresGID", "postgresUID",
        "postgresql", "primaryUpdateMethod", "primaryUpdateStrategy", "priorityClassName",
        "probes", "projectedVolumeTemplate", "replica", "replicationSlots", "resources",
        "schedulerName", "seccompProfile", "serviceAccountTemplate", "smartShutdownTimeout",
        "startDelay", "stopDelay", "storage", "superuserSecret", "switchoverDelay",
        "tablespaces", "topologySpreadConstraints", "walStorage",
    },
    RABBITMQ: {
        "replicas", "image", "imagePullSecrets", "service", "persistence", "resources",
        "affinity", "tolerations", "rabbitmq", "tls", "override", "skipPostDeploySteps",
        "terminationGracePeriodSeconds", "delayStartSeconds", "secretBackend",
        "autoEnableAllFeatureFlags",
    },
}  # fmt: skip


def the(docs: list[Doc], api_kind: tuple[str, str]) -> Doc:
    found = [d for d in docs if (d["apiVersion"], d["kind"]) == api_kind]
    assert len(found) == 1, f"expected one {api_kind[1]}, found {len(found)}"
    return found[0]


def test_built_in_kinds_match_the_kubernetes_schemas(docs: list[Doc]) -> None:
    errors = []
    for doc in docs:
        if (doc["apiVersion"], doc["kind"]) in CRD_SPEC_FIELDS:
            continue
        where = f"{doc['kind']} {doc['metadata']['name']}"
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{where}: {'.'.join(map(str, exc.path))}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(f"{where}: no schema ({exc.message}); a custom resource needs a check")
    assert errors == []


def test_operator_resources_use_only_fields_their_api_has(docs: list[Doc]) -> None:
    for api_kind, allowed in CRD_SPEC_FIELDS.items():
        resource = the(docs, api_kind)
        assert set(resource["spec"]) <= allowed, set(resource["spec"]) - allowed
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", resource["metadata"]["name"])


def test_postgres_is_a_15_cluster_whose_role_may_create_the_databases(docs: list[Doc]) -> None:
    spec = the(docs, CNPG)["spec"]
    assert isinstance(spec["instances"], int) and spec["instances"] >= 1
    image = spec["imageName"]
    assert image.startswith("ghcr.io/cloudnative-pg/postgresql:")
    compose_major = load_compose()["services"]["postgres"]["image"].split(":")[1].split(".")[0]
    assert image.split(":")[1].split(".")[0] == compose_major == "15"
    assert QUANTITY.match(spec["storage"]["size"])
    initdb = spec["bootstrap"]["initdb"]
    # Each service creates its own database on first start (shared/events/database.py).
    assert f"ALTER ROLE {initdb['owner']} CREATEDB" in initdb["postInitSQL"]
    parameters: dict[str, Any] = spec.get("postgresql", {}).get("parameters", {})
    assert all(isinstance(v, str) for v in parameters.values()), "parameters are strings"


def test_rabbitmq_is_a_3_13_cluster_with_the_consistent_hash_exchange(docs: list[Doc]) -> None:
    spec = the(docs, RABBITMQ)["spec"]
    assert spec["image"] == load_compose()["services"]["rabbitmq"]["image"]
    assert spec["image"].startswith("rabbitmq:3.13")
    plugins = spec["rabbitmq"]["additionalPlugins"]
    assert "rabbitmq_consistent_hash_exchange" in plugins
    assert len(plugins) <= 100 and all(re.fullmatch(r"\w+", p) for p in plugins)
    assert QUANTITY.match(spec["persistence"]["storage"])
    assert isinstance(spec["replicas"], int) and spec["replicas"] >= 1


def test_production_replicates_every_quorum_queue_the_code_declares() -> None:
    """The code declares its durable queues as quorum queues; three nodes keep each one
    available through the loss of a node (a majority of its three replicas remains)."""
    declared = QueueRecorder()
    topology = Topology()
    topology.declare_exchanges(declared)
    for consumer, keys in SUBSCRIPTIONS.items():
        topology.declare_consumer(declared, consumer, keys)
    assert declared.queues and all(
        args.get("x-queue-type") == "quorum" for args in declared.queues.values()
    )
    for name in ("base", "overlays/production"):
        assert the(rendered(name), RABBITMQ)["spec"]["replicas"] == 3
        assert the(rendered(name), CNPG)["spec"]["instances"] == 3


def test_the_manifests_carry_what_the_cluster_harness_proved() -> None:
    """The settings under which `make cluster` lost nothing through node failures
    (docs/guarantees.md): a synchronous standby, the partition handling the harness's nodes
    run, every process given every broker node and a read-write-only database session."""
    harness_config = dict(
        line.split(" = ", 1) for line in NODE_CONFIG.splitlines() if " = " in line
    )
    for name in ("base", "overlays/production"):
        docs = rendered(name)
        postgres = the(docs, CNPG)["spec"]
        assert 1 <= postgres["minSyncReplicas"] <= postgres["maxSyncReplicas"]
        assert postgres["maxSyncReplicas"] < postgres["instances"]
        rabbitmq = the(docs, RABBITMQ)["spec"]
        handling = dict(
            line.split(" = ", 1)
            for line in rabbitmq["rabbitmq"]["additionalConfig"].splitlines()
            if " = " in line
        )
        assert (
            handling["cluster_partition_handling"] == harness_config["cluster_partition_handling"]
        )
        config = next(d for d in docs if d["kind"] == "ConfigMap" and "CNNECT_ENV" in d["data"])
        assert config["data"]["PGTARGETSESSIONATTRS"] == "read-write"
        urls = [
            env["value"]
            for doc in docs
            for container in pod_containers(doc)
            for env in container.get("env", [])
            if env["name"] == "CNNECT_AMQP_URL"
        ]
        assert urls, "no process is given the broker"
        for url in urls:
            hosts = [urlsplit(u).hostname for u in broker_urls(url)]
            nodes = {f"cnnect-rabbitmq-server-{i}.cnnect-rabbitmq-nodes" for i in range(3)}
            assert nodes <= set(hosts), url


class QueueRecorder:
    """A channel that records queue declarations (the topology's only I/O)."""

    def __init__(self) -> None:
        self.queues: dict[str, dict[str, Any]] = {}

    def queue_declare(self, queue: str, **kwargs: Any) -> None:
        self.queues[queue] = kwargs.get("arguments") or {}

    def exchange_declare(self, *args: Any, **kwargs: Any) -> None:
        """Exchanges are not recorded."""

    def queue_bind(self, *args: Any, **kwargs: Any) -> None:
        """Bindings are not recorded."""


def test_names_are_unique_and_references_resolve(docs: list[Doc]) -> None:
    keys = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert len(keys) == len(set(keys))
    templates = {
        d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"]
        for d in docs
        if pod_spec(d) is not None
    }
    for doc in docs:
        where = f"{doc['kind']} {doc['metadata']['name']}"
        if doc["kind"] == "Service":
            selector = doc["spec"]["selector"].items()
            assert any(selector <= labels.items() for labels in templates.values()), where
        if doc["kind"] == "PodDisruptionBudget":
            selector = doc["spec"]["selector"]["matchLabels"].items()
            assert any(selector <= labels.items() for labels in templates.values()), where
        if doc["kind"] == "HorizontalPodAutoscaler":
            target = doc["spec"]["scaleTargetRef"]
            assert find(docs, target["kind"], target["name"]) is not None, where
        if pod_spec(doc) is not None:
            selector = doc["spec"]["selector"]["matchLabels"].items()
            assert selector <= templates[doc["metadata"]["name"]].items(), where
        if doc["kind"] == "Ingress":
            for rule in doc["spec"]["rules"]:
                for path in rule["http"]["paths"]:
                    backend = path["backend"]["service"]
                    service = find(docs, "Service", backend["name"])
                    assert service is not None, where
                    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}


def test_every_container_has_requests_and_limits(docs: list[Doc]) -> None:
    for doc in docs:
        for container in pod_containers(doc):
            resources = container.get("resources", {})
            for bound in ("requests", "limits"):
                assert set(resources.get(bound, {})) >= {"cpu", "memory"}, (
                    f"{doc['metadata']['name']}/{container['name']}: {bound}"
                )


def test_the_kustomizations_list_every_file_beside_them() -> None:
    for name in OVERLAYS:
        directory = K8S / name
        config = kustomization(directory)
        used = set(config.get("resources", []))
        used |= {p["path"] for p in config.get("patches", []) if "path" in p}
        files = {p.name for p in directory.glob("*.yaml")} - {"kustomization.yaml"}
        assert files <= used, f"{name}: not in its kustomization: {sorted(files - used)}"
        for entry in used:
            assert (directory / entry).exists(), f"{name}: {entry} does not exist"


def test_the_subset_renderer_matches_kubectl_on_the_base() -> None:
    binary = kubectl()
    if binary is None:
        pytest.skip("kubectl is not installed: the base is rendered by the subset alone")
    base = K8S / "base"

    def key(doc: Doc) -> tuple[str, str]:
        return doc["kind"], doc["metadata"]["name"]

    subset = sorted(render_subset(base), key=key)
    assert subset == sorted(render_with_kubectl(binary, base), key=key)


def test_no_file_under_deploy_k8s_is_outside_a_kustomization() -> None:
    roots = [K8S / name for name in OVERLAYS]
    for path in Path(K8S).rglob("*.yaml"):
        assert path.parent in roots, f"{path} belongs to no kustomization"
