"""The bank in development: `python -m services.billing send-bank-notice`, run as a developer
runs it (README "Paying in development"), signing with the tests' bank secret."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.system import BANK_SECRET, ROOT, System


def send_bank_notice(system: System, reference: str, amount: str, via: str = "billing") -> str:
    """Send the bank's signed notice of `amount` EUR with `reference` to billing (or through
    the gateway, as the bank would); the command's output ("200 {...}")."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.billing",
            "send-bank-notice",
            "--reference",
            reference,
            "--amount",
            amount,
            "--url",
            system.url(via, "/webhooks/bank"),
        ],
        cwd=ROOT,
        env={**os.environ, "CNNECT_BILLING_BANK_WEBHOOK_SECRETS": BANK_SECRET},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
