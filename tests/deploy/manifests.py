"""The deploy files as the tests see them: compose services and Kubernetes containers, each
with the environment its process gets (values where the files say them)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.kustomize import Doc, image_name, pod_spec
from tests.deploy.procfile import ROOT

COMPOSE_FILE = ROOT / "deploy" / "compose.yaml"
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("base", "overlays/dev", "overlays/production")
APP_IMAGE = "cnnect"  # the image every CNNECT process runs (deploy/Dockerfile)

# The Secrets the operators write (their keys as the operators document them).
CNPG_APP_SECRET_KEYS = frozenset(
    {"username", "password", "host", "port", "dbname", "uri", "jdbc-uri", "pgpass"}
)
RABBITMQ_DEFAULT_USER_KEYS = frozenset(
    {"username", "password", "host", "port", "provider", "type", "default_user.conf"}
)
_DEPENDENT = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


@dataclass(frozen=True)
class Setting:
    """One environment variable of a container: its value when the files say it."""

    value: str | None  # None: from a Secret the files do not hold, or from the pod's fields
    source: str


@dataclass
class Container:
    """A container of a workload, or a compose service, with its resolved environment."""

    platform: str  # "compose" or the rendered kustomization ("base", "overlays/dev", ...)
    workload: str  # compose service or workload name
    name: str
    command: list[str]
    image: str
    init: bool = False
    env: dict[str, Setting] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    spec: Doc = field(default_factory=dict)

    @property
    def where(self) -> str:
        """Where it is declared, for messages."""
        kind = "init container" if self.init else "container"
        return f"{self.platform}: {self.workload} ({kind} {self.name})"

    @property
    def runs_app(self) -> bool:
        """Whether it runs the CNNECT image."""
        return image_name(self.image).rsplit("/", 1)[-1] == APP_IMAGE


# Compose ----------------------------------------------------------------------------------


def load_compose(path: Path = COMPOSE_FILE) -> Doc:
    """The compose file, parsed (YAML anchors and merge keys resolved)."""
    loaded: Doc = yaml.safe_load(path.read_text())
    return loaded


def compose_containers(compose: Doc) -> list[Container]:
    """One container per compose service."""
    found = []
    for name, service in compose["services"].items():
        environment = service.get("environment", {})
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment)
        command = service.get("command", [])
        found.append(
            Container(
                platform="compose",
                workload=name,
                name=name,
                command=command.split() if isinstance(command, str) else list(command),
                image=service.get("image", ""),
                env={k: Setting(str(v), "environment") for k, v in environment.items()},
                spec=service,
            )
        )
    return found


def unescape_compose(text: str) -> str:
    """What the container receives for a compose string (`$$` is a literal `$`)."""
    return text.replace("$$", "$")


# Kubernetes -------------------------------------------------------------------------------


def find(docs: list[Doc], kind: str, name: str) -> Doc | None:
    """The resource of that kind and name."""
    return next((d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name), None)


def operator_secrets(docs: list[Doc]) -> dict[str, frozenset[str]]:
    """The Secrets the operators write for the resources of `docs`, with their keys."""
    secrets = {}
    for doc in docs:
        if doc["kind"] == "Cluster" and doc["apiVersion"].startswith("postgresql.cnpg.io/"):
            secrets[f"{doc['metadata']['name']}-app"] = CNPG_APP_SECRET_KEYS
        if doc["kind"] == "RabbitmqCluster":
            secrets[f"{doc['metadata']['name']}-default-user"] = RABBITMQ_DEFAULT_USER_KEYS
    return secrets


def secret_keys(docs: list[Doc]) -> dict[str, frozenset[str]]:
    """The keys of every Secret `docs` hold."""
    return {
        d["metadata"]["name"]: frozenset({**d.get("data", {}), **d.get("stringData", {})})
        for d in docs
        if d["kind"] == "Secret"
    }


def k8s_containers(
    platform: str, docs: list[Doc], external: dict[str, frozenset[str]]
) -> list[Container]:
    """Every container of every workload, its environment resolved against `docs`.

    `external` names the Secrets that exist without being in `docs` (written by an operator,
    or created out of band) with their keys."""
    secrets = {**external, **operator_secrets(docs), **secret_keys(docs)}
    maps = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
    found = []
    for doc in docs:
        spec = pod_spec(doc)
        if spec is None:
            continue
        pairs = [(True, c) for c in spec.get("initContainers", [])]
        pairs += [(False, c) for c in spec["containers"]]
        for init, raw in pairs:
            container = Container(
                platform=platform,
                workload=doc["metadata"]["name"],
                name=raw["name"],
                command=[*raw.get("command", []), *raw.get("args", [])],
                image=raw.get("image", ""),
                init=init,
                spec=raw,
            )
            _resolve_env(container, raw, maps, secrets, docs)
            found.append(container)
    return found


def _resolve_env(
    container: Container,
    raw: Doc,
    maps: dict[str, dict[str, Any]],
    secrets: dict[str, frozenset[str]],
    docs: list[Doc],
) -> None:
    env = container.env
    for source in raw.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            if name not in maps:
                container.problems.append(f"envFrom names a missing ConfigMap {name}")
            for key, value in maps.get(name, {}).items():
                env[key] = Setting(str(value), f"ConfigMap {name}")
        elif "secretRef" in source:
            name = source["secretRef"]["name"]
            if name not in secrets:
                container.problems.append(f"envFrom names an unknown Secret {name}")
            stored = find(docs, "Secret", name) or {}
            values = {**stored.get("data", {}), **stored.get("stringData", {})}
            for key in secrets.get(name, frozenset()):
                env[key] = Setting(values.get(key), f"Secret {name}")
    for item in raw.get("env", []):
        name = item["name"]
        if "value" in item:
            env[name] = Setting(_expand(container, str(item["value"]), env), "env")
            continue
        ref = item.get("valueFrom", {})
        if "configMapKeyRef" in ref:
            mapped = maps.get(ref["configMapKeyRef"]["name"], {})
            key = ref["configMapKeyRef"]["key"]
            if key not in mapped:
                container.problems.append(f"{name}: no key {key} in its ConfigMap")
            env[name] = Setting(mapped.get(key), "configMapKeyRef")
        elif "secretKeyRef" in ref:
            secret, key = ref["secretKeyRef"]["name"], ref["secretKeyRef"]["key"]
            if key not in secrets.get(secret, frozenset()):
                container.problems.append(f"{name}: Secret {secret} has no key {key}")
            env[name] = Setting(None, f"Secret {secret}/{key}")
        elif "fieldRef" in ref:
            env[name] = Setting(None, f"field {ref['fieldRef']['fieldPath']}")
        else:
            container.problems.append(f"{name}: unsupported valueFrom {sorted(ref)}")


def _expand(container: Container, value: str, env: dict[str, Setting]) -> str:
    """Kubernetes' `$(NAME)` expansion, which sees only the variables defined before; a
    reference to a value the files do not hold (a Secret's) stays as it is written."""
    for name in _DEPENDENT.findall(value):
        if name not in env:
            container.problems.append(f"$({name}) is used before it is defined")

    def known(match: re.Match[str]) -> str:
        setting = env.get(match.group(1))
        return setting.value if setting and setting.value is not None else match.group(0)

    return _DEPENDENT.sub(known, value)
