"""deploy/Procfile, the list of the system's processes: the truth the deploy files follow."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROCFILE = ROOT / "deploy" / "Procfile"
HTTP_COMMANDS = frozenset({"api", "serve"})

_MODULE = re.compile(r"\bpython -m services\.(\w+) (\w[\w-]*)")
_PORT = re.compile(r"--port \$\{(CNNECT_\w+_PORT):-(\d+)\}")
_SHELL_VARIABLE = re.compile(r"\$\{?(CNNECT_[A-Z0-9_]+)")


@dataclass(frozen=True)
class Process:
    """One line of the Procfile, or a one-shot command run beside them (`service` None)."""

    name: str
    command: str
    service: str | None

    @property
    def subcommand(self) -> str:
        """`api`, `worker`, `relay` or `serve` (the gateway)."""
        found = _MODULE.search(self.command)
        return found.group(2) if found else ""

    @property
    def serves_http(self) -> bool:
        """Whether the process is an HTTP server (an API or the gateway)."""
        return self.subcommand in HTTP_COMMANDS

    @property
    def port_variable(self) -> tuple[str, int] | None:
        """The variable naming the process's port, with the default the command falls back to."""
        found = _PORT.search(self.command)
        return (found.group(1), int(found.group(2))) if found else None

    def shell_variables(self) -> set[str]:
        """The `CNNECT_*` variables the command line itself expands."""
        return set(_SHELL_VARIABLE.findall(self.command))


def processes(path: Path = PROCFILE) -> list[Process]:
    """Every process of the Procfile, in order."""
    found = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, command = line.partition(":")
        module = _MODULE.search(command)
        if module is None:
            raise ValueError(f"{path.name}: {name} runs no `python -m services.<name>`")
        found.append(Process(name.strip(), command.strip(), module.group(1)))
    return found


def services(found: list[Process]) -> list[str]:
    """The service packages the processes run, in order (gateway included)."""
    return list(dict.fromkeys(p.service for p in found if p.service))
