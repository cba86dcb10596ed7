"""The deploy files against the code. The truth is read from the code each time: the
processes of deploy/Procfile, the `CNNECT_*` variables the code reads (env_reads.py finds them
in its syntax trees), the ports it listens on and the routes its apps serve. So a process, a
variable or a port that another change adds to the code fails here until compose.yaml and
deploy/k8s follow, and a variable the files set that nothing reads (a typo) fails too."""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import urlsplit

import pytest

from shared.observability.ports import API_PORTS
from tests.deploy.code_facts import routes
from tests.deploy.conftest import rendered
from tests.deploy.dockerfile import user_id
from tests.deploy.env_reads import EnvRead, scan_tree, service_of
from tests.deploy.manifests import (
    Container,
    compose_containers,
    find,
    k8s_containers,
    load_compose,
    secret_keys,
    unescape_compose,
)
from tests.deploy.procfile import ROOT, Process, processes, services

PROCESSES = processes()
SERVICES = services(PROCESSES)
ONE_SHOT = ["python", "deploy/launch.py", "--prepare-only"]  # databases and broker topology

# Variables the code reads that the deploy files may leave unset, the code's default being
# right for them. One reason each; an entry the code no longer reads fails.
OPTIONAL = {
    "CNNECT_CLOCK_OFFSET_S": "moves a process's clock: for tests only",
    "CNNECT_PASSWORD": "`create-user` reads it instead of asking: an admin command, no process",
    "CNNECT_ACCESS_LOG": "gunicorn's access log file: off unless asked for",
    "CNNECT_BILLING_PAYPAL_ALLOW_INSECURE_LOCAL_CERTS": "for tests only; production ignores it",
    "CNNECT_BILLING_PAYPAL_CERT_HOSTS": "empty means PayPal's own hosts; only tests change it",
    # The gateway's form-action lets the card form reach it outside production only.
    "CNNECT_BILLING_PAYPAL_BASE_URL": "the gateway reads billing's, for the development stand-in",
    "CNNECT_METRICS_PORT": "each process's metrics port follows deploy/ports.json by default",
    "CNNECT_METRICS_INTERVAL_S": "how often workers sample lag and queue depth: 5 s is right",
    "CNNECT_SERVICE": "the service label of the metrics: each process knows its own service",
    "CNNECT_STANDBY_DELAY_S": "how long a worker waits before standing by on others' partitions",
    "CNNECT_KEYRING_URL": "the customers' keys are in the gateway's database on the services' "
    "server unless a deployment keeps them elsewhere (docs/design.md, Personal data)",
    **{
        f"CNNECT_{service.upper()}_DATABASE": "cnnect_<service>, the default, is the name to use"
        for service in SERVICES
    },
}
# Variables the files set that the code does not read yet (none now: the partitioned
# consumers read theirs). Once the code reads one, its entry here fails: remove it.
ANTICIPATED: dict[str, str] = {}
# Variables only some kinds of process read (subcommands: api, worker, relay, serve), though
# read in shared code: the others, and the one-shot, may lack them.
PROCESS_SCOPED: dict[str, set[str]] = {
    "CNNECT_WORKER_INDEX": {"worker"},
    "CNNECT_WORKERS": {"worker"},
}


@cache
def reads() -> tuple[EnvRead, ...]:
    return tuple(scan_tree(ROOT, SERVICES))


def read_names() -> set[str]:
    return {r.name for r in reads()}


def process_of(container: Container) -> Process | None:
    """The Procfile process a container runs; None for the one-shot (migrate, prepare)."""
    if container.init or container.workload == "migrate":
        return None
    return next((p for p in PROCESSES if p.name == container.workload), None)


def needed(process: Process | None) -> dict[str, str]:
    """The variables a process (None: the one-shot) reads, with where each is read."""
    found: dict[str, str] = {}
    for read in reads():
        owner = service_of(read.path) or next(
            (s for s in SERVICES if read.name.startswith(f"CNNECT_{s.upper()}_")), None
        )
        kinds = PROCESS_SCOPED.get(read.name)
        if kinds is not None and (process is None or process.subcommand not in kinds):
            continue
        if owner is None or (process is not None and owner == process.service):
            found.setdefault(read.name, f"{read.path}:{read.line}")
    if process is not None:
        for name in process.shell_variables():
            found.setdefault(name, f"deploy/Procfile ({process.name})")
    return found


def app_containers(platform: str) -> list[Container]:
    """The containers that run the CNNECT image on one platform."""
    if platform == "compose":
        return [c for c in compose_containers(load_compose()) if c.runs_app]
    docs = rendered(platform)
    external = secret_keys(rendered("base"))  # what overlays/production leaves out of band
    return [c for c in k8s_containers(platform, docs, external) if c.runs_app]


PLATFORMS = ["compose", "base", "overlays/dev", "overlays/production"]
PROBES = ("startupProbe", "readinessProbe", "livenessProbe")


def gateway_process() -> Process:
    return next(p for p in PROCESSES if p.service == "gateway")


def main_container(platform: str, process: Process) -> Container:
    found = [c for c in app_containers(platform) if not c.init and c.workload == process.name]
    assert len(found) == 1, f"{platform}: {len(found)} containers run {process.name}"
    return found[0]


# Processes --------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_process_runs_with_its_procfile_command(platform: str) -> None:
    for process in PROCESSES:
        container = main_container(platform, process)
        command = container.command
        if platform == "compose":
            command = [unescape_compose(word) for word in command]
        assert command == ["sh", "-c", process.command], container.where


@pytest.mark.parametrize("platform", PLATFORMS)
def test_nothing_else_runs_the_image_but_the_one_shot(platform: str) -> None:
    names = {p.name for p in PROCESSES}
    for container in app_containers(platform):
        if process_of(container) is None:
            assert container.command == ONE_SHOT, container.where
        else:
            assert container.workload in names, container.where


@pytest.mark.parametrize("platform", PLATFORMS[1:])
def test_each_kind_of_process_has_its_kind_of_workload(platform: str) -> None:
    docs = rendered(platform)
    for process in PROCESSES:
        kind = {"worker": "StatefulSet"}.get(process.subcommand, "Deployment")
        workload = find(docs, kind, process.name)
        assert workload is not None, f"{platform}: no {kind} {process.name}"
        spec = workload["spec"]
        target = {"apiVersion": "apps/v1", "kind": kind, "name": process.name}
        autoscalers = [
            d
            for d in docs
            if d["kind"] == "HorizontalPodAutoscaler" and d["spec"]["scaleTargetRef"] == target
        ]
        if process.serves_http:
            assert len(autoscalers) == 1 and autoscalers[0]["apiVersion"] == "autoscaling/v2"
            assert "replicas" not in spec, f"{process.name}: the autoscaler owns the count"
            assert find(docs, "PodDisruptionBudget", process.name) is not None
        else:
            assert autoscalers == [], f"{process.name} must not be autoscaled"
        if process.subcommand == "relay":
            # One publisher per outbox, never two at once: a relay declares the topology first.
            assert spec["replicas"] == 1 and spec["strategy"] == {"type": "Recreate"}
            init = spec["template"]["spec"]["initContainers"]
            assert [c["command"] for c in init] == [ONE_SHOT]


@pytest.mark.parametrize("platform", PLATFORMS[1:])
def test_workers_know_their_ordinal_and_how_many_they_are(platform: str) -> None:
    docs = rendered(platform)
    for process in PROCESSES:
        if process.subcommand != "worker":
            continue
        workload = find(docs, "StatefulSet", process.name)
        assert workload is not None
        headless = find(docs, "Service", workload["spec"]["serviceName"])
        assert headless is not None and headless["spec"].get("clusterIP") == "None"
        env = main_container(platform, process).env
        assert env["CNNECT_WORKERS"].value == str(workload["spec"]["replicas"])
        assert env["CNNECT_WORKER_INDEX"].source == (
            "field metadata.labels['apps.kubernetes.io/pod-index']"
        )


def test_compose_runs_one_worker_per_service_the_only_one_of_its_partitions() -> None:
    for process in PROCESSES:
        if process.subcommand == "worker":
            env = main_container("compose", process).env
            assert env["CNNECT_WORKERS"].value == "1", process.name
            assert env["CNNECT_WORKER_INDEX"].value == "0", process.name


# Environment ------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_variable_the_code_reads_reaches_the_processes_that_read_it(platform: str) -> None:
    missing = []
    for container in app_containers(platform):
        assert container.problems == [], container.where
        for name, where in needed(process_of(container)).items():
            if name not in container.env and name not in OPTIONAL:
                missing.append(f"{container.where}: {name}, read at {where}")
    assert missing == [], "set them, or add them to OPTIONAL with a reason:\n" + "\n".join(missing)


def variables_set(platform: str) -> set[str]:
    if platform == "compose":
        found = {k for c in app_containers("compose") for k in c.env}
    else:
        docs = rendered(platform)
        found = {k for d in docs if d["kind"] == "ConfigMap" for k in d.get("data", {})}
        found |= {k for keys in secret_keys(docs).values() for k in keys}
        found |= {k for c in app_containers(platform) for k in c.env}
    return {name for name in found if name.startswith("CNNECT_")}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_variable_the_files_set_is_one_the_code_reads(platform: str) -> None:
    unread = variables_set(platform) - read_names() - set(ANTICIPATED)
    assert unread == set(), "misspelt, or no longer read by the code"


def test_the_allow_lists_are_not_stale() -> None:
    assert set(OPTIONAL) - read_names() == set(), "no longer read: remove from OPTIONAL"
    now_read = set(ANTICIPATED) & read_names()
    assert now_read == set(), "the code reads these now: remove them from ANTICIPATED"
    unknown_kinds = {k for kinds in PROCESS_SCOPED.values() for k in kinds} - {
        p.subcommand for p in PROCESSES
    }
    assert unknown_kinds == set()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_http_processes_listen_on_every_interface_of_their_container(platform: str) -> None:
    for process in PROCESSES:
        if process.serves_http:
            setting = main_container(platform, process).env.get("CNNECT_BIND_HOST")
            assert setting is not None and setting.value == "0.0.0.0", process.name


# Ports ------------------------------------------------------------------------------------


def test_the_procfile_defaults_to_the_ports_of_the_code() -> None:
    for process in PROCESSES:
        if process.serves_http and process.service is not None:
            variable = f"CNNECT_{process.service.upper()}_PORT"
            assert process.port_variable == (variable, API_PORTS[process.service]), process.name


def listening_port(container: Container, process: Process) -> int:
    """The port the process listens on in that container (its variable, else the default)."""
    assert process.port_variable is not None and process.service is not None
    variable, default = process.port_variable
    setting = container.env.get(variable)
    assert default == API_PORTS[process.service]
    return int(setting.value) if setting and setting.value else default


@pytest.mark.parametrize("platform", PLATFORMS[1:])
def test_kubernetes_ports_are_the_ports_the_processes_listen_on(platform: str) -> None:
    docs = rendered(platform)
    gateway_env = main_container(platform, gateway_process()).env
    for process in PROCESSES:
        if not process.serves_http:
            continue
        container = main_container(platform, process)
        port = listening_port(container, process)
        declared = {p["name"]: p["containerPort"] for p in container.spec["ports"]}
        assert declared.get("http") == port, container.where
        for probe in PROBES:
            assert container.spec[probe]["httpGet"]["port"] in ("http", port), container.where
        service = find(docs, "Service", process.name)
        assert service is not None, f"no Service {process.name}"
        (service_port,) = service["spec"]["ports"]
        assert service_port["targetPort"] in ("http", port) and service_port["port"] == port
        if process.service != "gateway":
            url = gateway_env[f"CNNECT_{str(process.service).upper()}_URL"].value
            assert url == f"http://{process.name}:{port}", f"the gateway's URL of {process.name}"


def test_compose_ports_are_the_ports_the_processes_listen_on() -> None:
    services = load_compose()["services"]
    gateway_env = main_container("compose", gateway_process()).env
    for process in PROCESSES:
        if not process.serves_http:
            continue
        container = main_container("compose", process)
        port = listening_port(container, process)
        check = " ".join(services[process.name]["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/" in check, process.name
        if process.service == "gateway":
            assert f"127.0.0.1:{port}:{port}" in services[process.name]["ports"]
        else:
            url = gateway_env[f"CNNECT_{str(process.service).upper()}_URL"].value
            assert url == f"http://{process.name}:{port}", f"the gateway's URL of {process.name}"


@pytest.mark.parametrize("platform", PLATFORMS[1:])
def test_a_metrics_port_set_for_a_process_is_a_port_its_container_declares(platform: str) -> None:
    """For the metrics ports (another branch): CNNECT_METRICS_PORT, where set, is declared."""
    for container in app_containers(platform):
        setting = container.env.get("CNNECT_METRICS_PORT")
        if setting is not None and setting.value:
            declared = {p["containerPort"] for p in container.spec.get("ports", [])}
            assert int(setting.value) in declared, container.where


# Health -----------------------------------------------------------------------------------


@cache
def served(service: str) -> frozenset[str]:
    return frozenset(routes(service))


@pytest.mark.parametrize("platform", PLATFORMS[1:])
def test_probes_ask_routes_the_apps_serve(platform: str) -> None:
    for process in PROCESSES:
        container = main_container(platform, process)
        if not process.serves_http:
            assert "readinessProbe" not in container.spec
            continue
        assert process.service is not None
        paths = served(process.service)
        probes = {k: container.spec[k]["httpGet"]["path"] for k in PROBES}
        assert set(probes.values()) <= paths, (container.where, probes)
        assert probes["livenessProbe"] == "/healthz"
        # Ready means the database and the broker answer, wherever the app can say so.
        assert probes["readinessProbe"] == ("/readyz" if "/readyz" in paths else "/healthz")


def test_compose_health_checks_ask_routes_the_apps_serve() -> None:
    services = load_compose()["services"]
    for process in PROCESSES:
        if process.serves_http:
            assert process.service is not None
            check = " ".join(services[process.name]["healthcheck"]["test"])
            (url,) = re.findall(r"http://[^'\"\s]+", check)
            assert urlsplit(url).path in served(process.service), process.name


@pytest.mark.parametrize("platform", PLATFORMS[1:])
def test_workers_and_relays_are_checked_as_compose_checks_them(platform: str) -> None:
    services = load_compose()["services"]
    for process in PROCESSES:
        if process.serves_http:
            continue
        test = services[process.name]["healthcheck"]["test"]
        assert test[0] == "CMD"
        probe = main_container(platform, process).spec["livenessProbe"]
        assert probe["exec"]["command"] == test[1:], process.name


# Privileges -------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS[1:])
def test_pods_run_as_the_images_unprivileged_user(platform: str) -> None:
    uid = user_id()
    for doc in rendered(platform):
        template = doc.get("spec", {}).get("template", {})
        containers = template.get("spec", {}).get("containers", [])
        if not any(c.get("image", "").split("/")[-1].startswith("cnnect:") for c in containers):
            continue
        security = template["spec"]["securityContext"]
        assert security["runAsNonRoot"] is True, doc["metadata"]["name"]
        assert security["runAsUser"] == uid, doc["metadata"]["name"]
        for container in [*template["spec"].get("initContainers", []), *containers]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
