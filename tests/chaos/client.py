"""HTTP as a patient client of a system under fire: every change carries an Idempotency-Key
and is sent again, byte for byte, until the system answers; reads are retried until they show
what the next step needs."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from urllib3 import encode_multipart_formdata

from tests.support.second_factor import with_code

# Answers that mean "ask again later": the process died, is restarting, or is paused.
RETRY_STATUSES = {409, 502, 503, 504}
RETRY_CODES = {"request_in_progress", "unavailable", "service_unavailable", "conflict"}


class GaveUpError(Exception):
    """The system did not answer within the step's time."""


@dataclass
class Counters:
    """What the clients saw: requests, retries, and repeats the system absorbed."""

    requests: int = 0
    retries: int = 0
    replays: int = 0  # answers replayed for a repeated Idempotency-Key
    answers_lost: int = 0  # the effect happened, its answer died with a process

    def add(self, other: Counters) -> None:
        """Fold another client's counts into these."""
        self.requests += other.requests
        self.retries += other.retries
        self.replays += other.replays
        self.answers_lost += other.answers_lost


def _session() -> requests.Session:
    # Staff and the bank are shared by every customer thread: a connection each.
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=64))
    return session


@dataclass
class Client:
    """A signed-in (or anonymous) caller of the gateway."""

    base_url: str
    csrf: str = ""
    session: requests.Session = field(default_factory=_session)
    counters: Counters = field(default_factory=Counters)
    patience_s: float = 240.0
    # The Idempotency-Keys of the changes the system said it made (a 2xx answer, or the
    # answer lost with the effect kept): after a failover, every one must still be there.
    acknowledged: list[str] = field(default_factory=list)

    def _send(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Any:
        self.counters.requests += 1
        return self.session.request(
            method, f"{self.base_url}{path}", data=body, headers=headers, timeout=15
        )

    def change(
        self,
        path: str,
        key: str,
        payload: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        method: str = "POST",
    ) -> requests.Response:
        """A change, sent until answered; the body is encoded once so repeats are identical."""
        if files is not None:
            body, content_type = encode_multipart_formdata(
                files, boundary="chaos-" + hashlib.sha256(key.encode()).hexdigest()[:24]
            )
        else:
            body, content_type = json.dumps(payload or {}).encode(), "application/json"
        headers = {
            "Content-Type": content_type,
            "Idempotency-Key": key,
            "X-CSRF-Token": self.csrf,
        }
        answer = self._until_answered(lambda: self._send(method, path, body, headers))
        if answer.status_code < 300 or _code(answer) == "answer_lost":
            self.acknowledged.append(key)
        return answer

    def raw_post(self, path: str, body: bytes, headers: dict[str, str]) -> requests.Response:
        """A webhook delivery, sent until answered (the sender's own retries)."""
        return self._until_answered(lambda: self._send("POST", path, body, headers))

    def _until_answered(self, send: Callable[[], requests.Response]) -> requests.Response:
        deadline = time.monotonic() + self.patience_s
        pause = 0.2
        while True:
            try:
                answer = send()
                if not self._retry(answer):
                    if answer.headers.get("Idempotent-Replayed") == "true":
                        self.counters.replays += 1
                    if _code(answer) == "answer_lost":
                        self.counters.answers_lost += 1
                    return answer
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise GaveUpError("no answer within the step's time")
            self.counters.retries += 1
            time.sleep(pause)
            pause = min(pause * 1.5, 2.0)

    def _retry(self, answer: requests.Response) -> bool:
        if answer.status_code >= 500:
            return True
        return answer.status_code in RETRY_STATUSES and _code(answer) in RETRY_CODES

    def read(self, path: str) -> Any:
        """The JSON of a 200 answer, or None (not there yet, or the service is down)."""
        try:
            self.counters.requests += 1
            answer = self.session.get(f"{self.base_url}{path}", timeout=15)
        except requests.RequestException:
            return None
        return answer.json() if answer.status_code == 200 else None

    def wait_for(self, path: str, until: Callable[[Any], bool], what: str) -> Any:
        """Read `path` until `until` holds of its JSON."""
        deadline = time.monotonic() + self.patience_s
        while True:
            found = self.read(path)
            if found is not None and until(found):
                return found
            if time.monotonic() > deadline:
                raise GaveUpError(f"{what}: not seen in {self.patience_s:.0f} s ({path})")
            time.sleep(0.25)


def _code(answer: requests.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return ""
    return str(body.get("error", "")) if isinstance(body, dict) else ""


def signed_in(base_url: str, email: str, password: str, sign_up: bool) -> Client:
    """A client with a session: signs up (or, if that answer was lost, in) until it works."""
    client = Client(base_url)
    deadline = time.monotonic() + client.patience_s
    credentials = {"email": email, "password": password}
    while True:
        try:
            if sign_up:
                answer = client.session.post(
                    f"{base_url}/auth/signup", json=credentials, timeout=15
                )
                if answer.status_code == 409:  # registered by an attempt whose answer was lost
                    sign_up = False
                    continue
            else:
                answer = client.session.post(  # staff made here also send their code (R26)
                    f"{base_url}/auth/signin", json=with_code(email, credentials), timeout=15
                )
            if answer.status_code in (200, 201):
                client.csrf = answer.json()["csrf_token"]
                return client
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise GaveUpError(f"could not sign in {email}")
        time.sleep(0.5)
