"""Rendering deploy/k8s: with `kubectl kustomize` where kubectl is installed, else with the
subset of kustomize the base uses (resources, namespace, labels, images), written here.

The tests compare both renderings of the base where kubectl exists, so the subset is known to
match the real thing; the overlays use patches and need kubectl."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

Doc = dict[str, Any]
SUBSET = frozenset({"apiVersion", "kind", "namespace", "labels", "images", "resources"})
CLUSTER_SCOPED = frozenset({"Namespace", "ClusterRole", "ClusterRoleBinding", "StorageClass"})


class NeedsKustomize(Exception):
    """The kustomization uses more than the subset and kubectl is not installed."""


def kubectl() -> str | None:
    """The kubectl binary, if installed (its `kustomize` is the reference renderer)."""
    return shutil.which("kubectl")


def render(directory: Path) -> list[Doc]:
    """The resources `kubectl apply -k directory` would apply."""
    binary = kubectl()
    return render_with_kubectl(binary, directory) if binary else render_subset(directory)


def render_with_kubectl(binary: str, directory: Path) -> list[Doc]:
    """`kubectl kustomize directory`, parsed."""
    result = subprocess.run(
        [binary, "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"kubectl kustomize {directory} failed:\n{result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def kustomization(directory: Path) -> Doc:
    """The parsed kustomization.yaml of `directory`."""
    loaded: Doc = yaml.safe_load((directory / "kustomization.yaml").read_text())
    return loaded


def render_subset(directory: Path) -> list[Doc]:
    """The subset: resources (files and directories), then namespace, labels and images."""
    config = kustomization(directory)
    beyond = set(config) - SUBSET
    if beyond:
        raise NeedsKustomize(f"{directory} uses {sorted(beyond)}: install kubectl to render it")
    docs: list[Doc] = []
    for entry in config.get("resources", []):
        path = directory / entry
        if path.is_dir():
            docs += render_subset(path)
        else:
            docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    for doc in docs:
        metadata = doc.setdefault("metadata", {})
        if "namespace" in config and doc["kind"] not in CLUSTER_SCOPED:
            metadata["namespace"] = config["namespace"]
        for label_set in config.get("labels", []):
            if label_set.get("includeSelectors") or label_set.get("includeTemplates"):
                raise NeedsKustomize("labels on selectors or templates: install kubectl")
            metadata.setdefault("labels", {}).update(label_set["pairs"])
        for image in config.get("images", []):
            _set_image(doc, image)
    return docs


def _set_image(doc: Doc, image: Doc) -> None:
    for container in pod_containers(doc):
        reference = container.get("image", "")
        if image_name(reference) == image["name"]:
            name = image.get("newName", image["name"])
            container["image"] = f"{name}:{image['newTag']}" if "newTag" in image else name


def image_name(reference: str) -> str:
    """`registry/name:tag` or `name@digest` without its tag or digest."""
    name = reference.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return name[: len(name) - len(last)] + last.split(":", 1)[0]


def pod_spec(doc: Doc) -> Doc | None:
    """The pod spec of a workload (Deployment, StatefulSet, Job, DaemonSet), else None."""
    template = doc.get("spec", {}).get("template")
    if doc.get("kind") in {"Deployment", "StatefulSet", "DaemonSet", "Job"} and template:
        spec: Doc = template.get("spec", {})
        return spec
    return None


def pod_containers(doc: Doc) -> list[Doc]:
    """The init and main containers of a workload's pods."""
    spec = pod_spec(doc)
    if spec is None:
        return []
    return [*spec.get("initContainers", []), *spec.get("containers", [])]
