"""What sealing personal data cost the whole system over the load (issue 21): the cipher time
and the keyring round trips every process counted (shared/personal), per completed lifecycle
and as a share of the system's CPU per lifecycle."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import requests
from prometheus_client.parser import text_string_to_metric_families

SECONDS = "cnnect_personal_data_seconds_total"
VALUES = "cnnect_personal_data_values_total"
KEY_READS = "cnnect_personal_data_key_reads_total"


def personal_counters(metrics_urls: Iterable[str]) -> dict[str, float]:
    """The personal data counters summed over every process that answers (a process without
    a metrics page, or one that has not sealed anything yet, adds nothing)."""
    totals: dict[str, float] = defaultdict(float)
    for url in metrics_urls:
        try:
            text = requests.get(url, timeout=5).text
        except requests.RequestException:
            continue
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == SECONDS:
                    totals[f"seconds:{sample.labels['operation']}"] += sample.value
                elif sample.name == VALUES:
                    totals[f"values:{sample.labels['operation']}"] += sample.value
                elif sample.name == KEY_READS:
                    totals["key_reads"] += sample.value
    return totals


class PersonalCounters:
    """The counters read at marks of the run (as the statement counter marks it)."""

    def __init__(self, metrics_urls: Iterable[str]) -> None:
        self.urls = list(metrics_urls)
        self.marks: dict[str, dict[str, float]] = {}

    def mark(self, label: str) -> None:
        """Read every process's counters now, as `label`."""
        self.marks[label] = personal_counters(self.urls)

    def report(
        self, put: Callable[..., object], completed: int, cpu_ms_per_lifecycle: float | None
    ) -> None:
        """Print what the load between the marks "load" and "end" spent."""
        if {"load", "end"} <= self.marks.keys():
            report_personal(
                put, self.marks["load"], self.marks["end"], completed, cpu_ms_per_lifecycle
            )


def report_personal(
    put: Callable[..., object],
    before: dict[str, float],
    after: dict[str, float],
    completed: int,
    cpu_ms_per_lifecycle: float | None,
) -> None:
    """Print the cipher time and key reads of the load, per lifecycle."""
    spent = {name: value - before.get(name, 0.0) for name, value in after.items()}
    per = max(completed, 1)
    cipher_ms = sum(v for k, v in spent.items() if k.startswith("seconds:")) * 1e3 / per
    detail: dict[str, Any] = {
        name.partition(":")[2]: round(value / per, 2)
        for name, value in sorted(spent.items())
        if name.startswith("values:")
    }
    if cpu_ms_per_lifecycle:
        detail["share_of_cpu_per_lifecycle_percent"] = round(
            100 * cipher_ms / cpu_ms_per_lifecycle, 2
        )
    put(
        "personal_data_cipher_ms_per_lifecycle",
        cipher_ms,
        "ms",
        note="AES-GCM time of every process (sealing, opening, revealing answers) over the "
        "load, per completed lifecycle; values sealed or opened per lifecycle by operation",
        **detail,
    )
    put(
        "personal_data_key_reads_per_lifecycle",
        spent.get("key_reads", 0.0) / per,
        "round trips",
        note="keyring reads (keys not in a process's 5 s copy) per completed lifecycle",
    )
