"""deploy/Dockerfile, read as a list of instructions."""

from __future__ import annotations

import re

from tests.deploy.procfile import ROOT

DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (continuation lines joined, comments dropped)."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def user_id() -> int:
    """The user id the image's processes run as (its last USER)."""
    user = [rest for keyword, rest in instructions() if keyword == "USER"][-1]
    return int(user.split(":")[0])
