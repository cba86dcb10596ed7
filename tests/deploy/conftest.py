"""Fixtures of the deploy tests: the rendered kustomizations, each rendered once."""

from __future__ import annotations

import pytest

from tests.deploy.kustomize import Doc, NeedsKustomize, render
from tests.deploy.manifests import K8S, OVERLAYS

_RENDERED: dict[str, list[Doc] | str] = {}


def rendered(name: str) -> list[Doc]:
    """The rendering of one kustomization (skips the test when it cannot be rendered here)."""
    if name not in _RENDERED:
        try:
            _RENDERED[name] = render(K8S / name)
        except NeedsKustomize as exc:
            _RENDERED[name] = str(exc)
    docs = _RENDERED[name]
    if isinstance(docs, str):
        pytest.skip(docs)
    return docs


@pytest.fixture(params=OVERLAYS)
def kustomization_name(request: pytest.FixtureRequest) -> str:
    """Each kustomization of deploy/k8s in turn: base, overlays/dev, overlays/production."""
    name: str = request.param
    return name


@pytest.fixture
def docs(kustomization_name: str) -> list[Doc]:
    """The resources of that kustomization."""
    return rendered(kustomization_name)
