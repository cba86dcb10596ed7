"""deploy/compose.yaml: valid Compose, healthy start order, the servers the code expects.

Validated statically: against the Compose Specification's schema (vendored, see schemas/), by
`docker compose config` where the compose plugin is installed (it only parses, no engine
needed), and by the structural rules below. Whether the containers really start is not
tested here: there is no Docker engine on our machines."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.deploy.kustomize import Doc
from tests.deploy.manifests import COMPOSE_FILE, load_compose
from tests.deploy.procfile import ROOT, processes

SCHEMA = Path(__file__).with_name("schemas") / "compose-spec.json"
# Keys the Compose Specification gained after the vendored schema (2021).
NEWER_TOP_LEVEL_KEYS = ("name",)
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


@pytest.fixture(scope="module")
def compose() -> Doc:
    return load_compose()


def one_shots(compose: Doc) -> set[str]:
    return {n for n, s in compose["services"].items() if s.get("restart") == "no"}


def test_the_file_matches_the_compose_specification(compose: Doc) -> None:
    document = {k: v for k, v in compose.items() if k not in NEWER_TOP_LEVEL_KEYS}
    validator = jsonschema.Draft201909Validator(json.loads(SCHEMA.read_text()))
    errors = [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []


def test_docker_compose_accepts_the_file_where_it_is_installed() -> None:
    docker = shutil.which("docker")
    if (
        docker is None
        or subprocess.run(
            [docker, "compose", "version"], capture_output=True, check=False
        ).returncode
    ):
        pytest.skip("the docker compose plugin is not installed here")
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE_FILE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_every_long_running_container_has_a_health_check(compose: Doc) -> None:
    missing = [
        name
        for name, service in compose["services"].items()
        if name not in one_shots(compose) and not service.get("healthcheck", {}).get("test")
    ]
    assert missing == []


def test_every_dependency_names_a_service_and_a_condition_it_can_meet(compose: Doc) -> None:
    services = compose["services"]
    for name, service in services.items():
        for target, rule in service.get("depends_on", {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            condition = rule.get("condition")
            assert condition in CONDITIONS, f"{name} -> {target}: condition {condition}"
            if condition == "service_healthy":
                assert services[target].get("healthcheck"), f"{target} has no health check"
            if target in one_shots(compose):
                assert condition == "service_completed_successfully", f"{name} -> {target}"


def test_the_servers_start_first_then_migrate_then_the_processes(compose: Doc) -> None:
    services = compose["services"]
    migrate = services["migrate"]
    assert migrate["command"] == ["python", "deploy/launch.py", "--prepare-only"]
    assert {k: v["condition"] for k, v in migrate["depends_on"].items()} == {
        "postgres": "service_healthy",
        "rabbitmq": "service_healthy",
    }
    for process in processes():
        depends = services[process.name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}
    gateway = services["gateway"]["depends_on"]
    for process in processes():
        if process.serves_http and process.name != "gateway":
            assert gateway[process.name] == {"condition": "service_healthy"}


def test_postgres_15_and_rabbitmq_3_13_with_the_plugins_the_system_uses(compose: Doc) -> None:
    services = compose["services"]
    assert services["postgres"]["image"] == "postgres:15"
    assert services["rabbitmq"]["image"] == "rabbitmq:3.13-management"
    mounts = {m.split(":")[1]: m.split(":")[0] for m in services["rabbitmq"]["volumes"]}
    plugins_file = COMPOSE_FILE.parent / mounts["/etc/rabbitmq/enabled_plugins"]
    plugins = set(re.findall(r"\w+", plugins_file.read_text()))
    assert {"rabbitmq_management", "rabbitmq_consistent_hash_exchange"} <= plugins


def test_the_image_is_built_from_the_repository_with_deploy_dockerfile(compose: Doc) -> None:
    for name, service in compose["services"].items():
        if "build" not in service:
            continue
        context = (COMPOSE_FILE.parent / service["build"]["context"]).resolve()
        assert context == ROOT, name
        assert (context / service["build"]["dockerfile"]).is_file(), name


def test_only_the_gateway_and_the_tools_are_published_and_only_on_loopback(compose: Doc) -> None:
    services = compose["services"].items()
    published = {name: service["ports"] for name, service in services if "ports" in service}
    assert "127.0.0.1:8100:8100" in published["gateway"]
    assert set(published) == {"gateway", "postgres", "rabbitmq", "mailpit"}
    assert all(port.startswith("127.0.0.1:") for ports in published.values() for port in ports)


def test_no_command_is_interpolated_by_compose_from_the_host(compose: Doc) -> None:
    """A `$` meant for the container's shell is written `$$`; a single one would be replaced
    by compose with the value (or emptiness) of the host's variable."""
    for name, service in compose["services"].items():
        for word in service.get("command", []):
            assert "$" not in word.replace("$$", ""), (name, word)


class NoDuplicateKeys(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys; compose and kustomize refuse the file."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [key.value for key, _ in node.value if isinstance(key, yaml.ScalarNode)]
        twice = sorted({key for key in keys if keys.count(key) > 1})
        if twice:
            raise yaml.constructor.ConstructorError(
                None, None, f"keys written twice: {twice}", node.start_mark
            )
        return super().construct_mapping(node, deep=deep)


def test_no_deploy_file_writes_a_key_twice() -> None:
    files = [COMPOSE_FILE, *sorted((ROOT / "deploy" / "k8s").rglob("*.yaml"))]
    for path in files:
        list(yaml.load_all(path.read_text(), Loader=NoDuplicateKeys))
