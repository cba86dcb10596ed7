"""The benchmark's HTTP client: every request timed and filed under its route template."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

ANSWER_TIMEOUT_S = 30.0
_PLACEHOLDER = re.compile(r"<([a-z_]+)>")


@dataclass(frozen=True)
class Sample:
    """One HTTP request: when it was sent (seconds into the run), how long it took."""

    sent_s: float
    latency_ms: float
    route: str  # "POST /api/orders/orders/<order>/item-changes"
    status: int  # 0: no answer (connection error, timeout)
    kind: str  # "action" (a customer's or staff member's step) or "poll" (waiting to see it)
    error: bool  # an answer that should not happen


class StepFailed(Exception):
    """A lifecycle step got an answer it should not have, or waited too long."""


@dataclass
class Recorder:
    """Every request and every lifecycle of the run, on one clock (seconds since `origin`)."""

    origin: float = field(default_factory=time.perf_counter)
    samples: list[Sample] = field(default_factory=list)
    lifecycles: list[tuple[float, float, bool]] = field(default_factory=list)  # start, end, ok
    failures: list[str] = field(default_factory=list)

    def now(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self.origin

    @property
    def last_answer_s(self) -> float:
        """When the last request got its answer (or gave up)."""
        return max((s.sent_s + s.latency_ms / 1000 for s in self.samples), default=0.0)


@dataclass(frozen=True)
class Answer:
    """A response, read in full."""

    status: int
    body: Any  # parsed JSON, or None
    cookies: Mapping[str, str]


def fill(template: str, ids: Mapping[str, str]) -> str:
    """`/orders/<order>` with ids {"order": "ord-1"} -> `/orders/ord-1`."""
    return _PLACEHOLDER.sub(lambda m: ids[m.group(1)], template)


class Http:
    """Requests to one base URL through a shared aiohttp session, each one recorded."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession, recorder: Recorder) -> None:
        self.base_url = base_url
        self.session = session
        self.recorder = recorder

    async def request(
        self,
        method: str,
        template: str,
        ids: Mapping[str, str] | None = None,
        *,
        kind: str = "action",
        expect: tuple[int, ...] = (200, 201),
        tolerate: tuple[int, ...] = (),
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        data: Any = None,
    ) -> Answer:
        """Send one request; an answer neither expected nor tolerated raises StepFailed."""
        route = f"{method} {template}"
        url = self.base_url + fill(template, ids or {})
        if json_body is not None:
            data = json.dumps(json_body)
            headers = {**(headers or {}), "Content-Type": "application/json"}
        sent = self.recorder.now()
        status, raw, body, cookies, problem = 0, b"", None, {}, ""
        try:
            async with self.session.request(method, url, data=data, headers=headers) as response:
                raw = await response.read()
                status = response.status
                cookies = {k: v.value for k, v in response.cookies.items()}
        except (aiohttp.ClientError, TimeoutError) as exc:
            problem = f"{route}: no answer ({type(exc).__name__}: {exc})"
        latency_ms = (self.recorder.now() - sent) * 1000
        if status and raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        error = status not in expect and status not in tolerate
        self.recorder.samples.append(Sample(sent, latency_ms, route, status, kind, error))
        if error:
            raise StepFailed(problem or f"{route}: {status} {str(body)[:300]}")
        return Answer(status, body, cookies)


def open_session(connections: int) -> aiohttp.ClientSession:
    """One client session for every simulated person: no cookie jar (each request carries
    its person's cookie), enough connections that no request waits for one here (the wait
    would be counted as server latency), and idle connections dropped before the servers'
    2 s keep-alive ends (a request on a connection the server just closed fails)."""
    connector = aiohttp.TCPConnector(
        limit=connections, limit_per_host=connections, keepalive_timeout=1.0
    )
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=ANSWER_TIMEOUT_S),
        auto_decompress=False,
    )
