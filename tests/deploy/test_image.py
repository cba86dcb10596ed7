"""deploy/Dockerfile: the image every process runs. Not built here (no Docker engine); what it
installs is: the wheel `pip install .` makes is built offline and looked into."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from tests.deploy.dockerfile import instructions, user_id
from tests.deploy.manifests import COMPOSE_FILE, K8S
from tests.deploy.procfile import ROOT

IGNORE = ROOT / "deploy" / "Dockerfile.dockerignore"
GATEWAY = ROOT / "services" / "gateway"


def test_python_3_11_slim_installs_the_package_non_editable_and_runs_unprivileged() -> None:
    steps = instructions()
    assert steps[0] == ("FROM", "python:3.11-slim")
    runs = " ".join(rest for keyword, rest in steps if keyword == "RUN")
    assert re.search(r"\bpip install \.( |$)", runs)
    assert " -e " not in f" {runs} " and "--editable" not in runs
    assert user_id() >= 1000
    assert ("WORKDIR", "/app") in steps


def test_the_image_holds_every_file_the_deploy_commands_run() -> None:
    """Commands, health checks and probes of compose and Kubernetes run deploy/*.py files."""
    copied = " ".join(rest for keyword, rest in instructions() if keyword == "COPY")
    texts = [COMPOSE_FILE.read_text(), *(p.read_text() for p in K8S.rglob("*.yaml"))]
    run = set(re.findall(r"(?<![\w/])deploy/[\w.]+\.py\b", " ".join(texts)))
    assert run, "no deploy script found: the pattern is wrong"
    for path in sorted(run):
        assert path in copied, f"{path} is run but not copied into the image"
        assert f"!{path}" in IGNORE.read_text(), f"{path} is kept out of the build context"


def test_the_image_holds_the_deploy_modules_its_deploy_scripts_import() -> None:
    """deploy/launch.py runs from the image's deploy/ and imports deploy.procfile from there."""
    copied = " ".join(rest for keyword, rest in instructions() if keyword == "COPY")
    scripts = re.findall(r"deploy/\w+\.py", copied)
    imports = " ".join((ROOT / script).read_text() for script in scripts)
    modules = {f"deploy/{m}.py" for m in re.findall(r"^from deploy\.(\w+) import", imports, re.M)}
    assert "deploy/procfile.py" in modules, "no import found: the pattern is wrong"
    for path in sorted(modules | {"deploy/__init__.py"}):
        assert path in copied, f"{path} is imported but not copied into the image"
        assert f"!{path}" in IGNORE.read_text(), f"{path} is kept out of the build context"


def test_the_build_context_keeps_what_the_wheel_needs() -> None:
    lines = IGNORE.read_text().splitlines()
    kept = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert {"pyproject.toml", "shared", "services"} <= kept


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """The wheel of the project, built offline from a copy of what the image copies."""
    source = tmp_path_factory.mktemp("source")
    shutil.copy(ROOT / "pyproject.toml", source)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "tests")
    for package in ("shared", "services"):
        shutil.copytree(ROOT / package, source / package, ignore=ignore)
    out = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
    result = subprocess.run(
        [*pip, "--quiet", "--wheel-dir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (built,) = out.glob("cnnect-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_carries_the_gateways_templates_and_static_files(wheel: zipfile.ZipFile) -> None:
    inside = set(wheel.namelist())
    for folder in ("templates", "static"):
        for path in (GATEWAY / folder).rglob("*"):
            if path.is_file():
                name = path.relative_to(ROOT).as_posix()
                assert name in inside, f"{name} is missing from the wheel"


def test_the_wheel_carries_every_module_and_no_test(wheel: zipfile.ZipFile) -> None:
    inside = set(wheel.namelist())
    for package in ("shared", "services"):
        for path in (ROOT / package).rglob("*.py"):
            name = path.relative_to(ROOT).as_posix()
            if "/tests/" in name:
                assert name not in inside, f"{name}: tests do not ship"
            else:
                assert name in inside, f"{name} is missing from the wheel"
