"""Fuzzing an API from its own OpenAPI document with schemathesis: every operation gets a
bounded number of generated requests, valid and invalid, sent as one caller, and every answer
is checked. Failures are collected, not raised at the first one, so one run reports them all."""

from __future__ import annotations

import contextlib
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, CheckContext, CheckFunction, GenerationMode, HookContext, Response
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err

# Generated requests per operation, per caller and per mode (valid, invalid). The default
# keeps `make test` short; `make fuzz` raises it and draws new examples on every run.
EXAMPLES = int(os.environ.get("CNNECT_FUZZ_EXAMPLES", "5"))
RANDOM = os.environ.get("CNNECT_FUZZ_RANDOM") == "1"
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
TIMEOUT_S = 30


@schemathesis.check
def error_shape(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """Every refusal (4xx) is our error body: {"error": "<code>", "message": ...}."""
    if not 400 <= response.status_code < 500:
        return None
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(
            f"a {response.status_code} answer is not JSON: {response.text[:200]!r}"
        ) from None
    if not (isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"]):
        raise AssertionError(f"a {response.status_code} answer has no error code: {body!r}")
    if "message" not in body:
        raise AssertionError(f"a {response.status_code} answer has no message: {body!r}")
    return True


CHECKS: list[CheckFunction] = [not_a_server_error, error_shape]

# Strings a generator seldom draws by chance, each a classic way in: NUL (PostgreSQL text
# refuses it), SQL, header and HTML injection, a right-to-left override, a path escape, and
# very long text. One string of a generated request at a time gets one of them appended.
HOSTILE = (
    "\x00",
    "'; DROP TABLE events; --",
    "\r\nX-Injected: 1",
    "\u202egnp.exe",
    "<script>alert(1)</script>",
    "../../../etc/passwd",
    "%00%0d%0a",
    "\U0001f4a9\u0301\ufeff",
    "x" * 10_000,
)


def _with_hostile(value: Any) -> st.SearchStrategy[Any]:
    """`value` as generated, or with one of its strings made hostile."""
    paths = list(_string_paths(value, ()))
    if not paths:
        return st.just(value)
    hostile = st.tuples(st.sampled_from(paths), st.sampled_from(HOSTILE)).map(
        lambda choice: _appended(value, choice[0], choice[1])
    )
    return st.one_of(st.just(value), hostile)


def _string_paths(value: Any, path: tuple[Any, ...]) -> Iterable[tuple[Any, ...]]:
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_paths(item, (*path, index))


def _appended(value: Any, path: tuple[Any, ...], hostile: str) -> Any:
    if not path:
        return f"{value}{hostile}"
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _appended(value[path[0]], path[1:], hostile)
    return copy


def flatmap_path_parameters(context: HookContext, parameters: dict[str, Any]) -> Any:
    """Hostile strings in path parameters too (a schemathesis hook)."""
    return _with_hostile(parameters)


def flatmap_query(context: HookContext, query: dict[str, Any]) -> Any:
    """Hostile strings in query parameters too (a schemathesis hook)."""
    return _with_hostile(query)


def flatmap_body(context: HookContext, body: Any) -> Any:
    """Hostile strings in JSON and form bodies too (a schemathesis hook)."""
    return _with_hostile(body)


def _no_headers() -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class Caller:
    """Who sends the generated requests: `credentials` gives the headers that say so, fresh
    for each request (identity tokens live five minutes; a long run outlives one)."""

    name: str
    credentials: Callable[[], dict[str, str]] = _no_headers
    cookies: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """One generated request's answer."""

    caller: str
    operation: str  # "POST /orders"
    status: int
    body: Any  # the JSON answer, or None


@dataclass
class Campaign:
    """What a run sent and what came back."""

    answers: list[Answer] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        """Requests sent."""
        return len(self.answers)

    def statuses(self) -> Counter[int]:
        """How many answers had each status."""
        return Counter(a.status for a in self.answers)

    def accepted(self, operation: str) -> list[Answer]:
        """The 2xx answers to `operation`."""
        return [a for a in self.answers if a.operation == operation and a.status < 300]

    def report(self) -> str:
        """Every failure, each with the request that caused it."""
        return f"{len(self.failures)} failures in {self.requests} requests:\n\n" + "\n\n".join(
            self.failures
        )


Selection = Callable[[str, str], bool]  # (caller name, "METHOD /path") -> fuzz it?


def fuzz(
    schema_url: str,
    callers: Iterable[Caller],
    selected: Selection,
    campaign: Campaign,
    examples: int = EXAMPLES,
) -> Campaign:
    """Send `examples` generated requests per mode to each selected operation as each caller."""
    schema = schemathesis.openapi.from_url(schema_url, timeout=TIMEOUT_S)
    for hook in (flatmap_path_parameters, flatmap_query, flatmap_body):
        schema.hook(hook)
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # a document schemathesis cannot read is a failure of its own
        operations.append(result.ok())
    for caller in callers:
        for operation in operations:
            if not selected(caller.name, operation.label):
                continue
            for mode in MODES if _negatable(operation) else MODES[:1]:
                _fuzz_operation(operation, mode, caller, campaign, examples)
    return campaign


def _fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    caller: Caller,
    campaign: Campaign,
    examples: int,
) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=not RANDOM,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: every failure is reported
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def send(case: Case[Any]) -> None:
        where = f"{case.operation.label} as {caller.name} ({mode.value})"
        headers = caller.credentials()
        try:
            # A connection per request: kept-alive connections to gunicorn wait ~40 ms for a
            # delayed ACK on each answer, which made the campaign five times slower.
            response = case.call(headers=headers, cookies=caller.cookies, timeout=TIMEOUT_S)
        except requests.RequestException as exc:
            campaign.failures.append(f"{where}: no answer: {exc}\n{_curl(case, headers)}")
            return
        campaign.answers.append(
            Answer(caller.name, case.operation.label, response.status_code, _json(response))
        )
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            campaign.failures.append(f"{where}: {_shortened(str(group))}")

    # Unsatisfiable: no invalid form of this operation could be generated, nothing was sent.
    with contextlib.suppress(Unsatisfiable):
        send()


def _negatable(operation: Any) -> bool:
    """Whether invalid requests can be made: a URL path segment is any string, so an
    operation with nothing but string path parameters has no invalid form."""
    return bool(operation.body or operation.query or operation.headers) or any(
        parameter.definition.get("schema") != {"type": "string"}
        for parameter in operation.path_parameters
    )


def _shortened(text: str, limit: int = 3000) -> str:
    """A failure report without the 100 000 x's of a long generated string."""
    return text if len(text) <= limit else f"{text[:limit]} [... {len(text) - limit} more]"


def _json(response: Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _curl(case: Case[Any], headers: dict[str, str]) -> str:
    try:
        return case.as_curl_command(headers=headers)
    except Exception:  # the repro is a courtesy: never hide the failure behind it
        return ""


# Bodies a JSON parser reads badly (shared.web.json_input), each sent in place of a generated
# body to every operation that takes JSON: (name, body, Content-Type). Every one is refused.
_JSON = "application/json"
AWKWARD_JSON: tuple[tuple[str, bytes, str], ...] = (
    ("deep arrays", b"[" * 1000 + b"]" * 1000, _JSON),
    ("deep objects", b'{"a":' * 1000 + b"1" + b"}" * 1000, _JSON),
    ("100 000 levels", b"[" * 100_000, _JSON),
    ("NaN", b'{"amount": NaN}', _JSON),
    ("Infinity", b'{"quantity": Infinity}', _JSON),
    ("-Infinity", b'{"quantity": -Infinity}', _JSON),
    ("1e999999", b'{"weight_grams": 1e999999}', _JSON),
    ("100 000 digits", b'{"weight_grams": ' + b"9" * 100_000 + b"}", _JSON),
    ("duplicate key", b'{"email": "a@cnnect.example", "email": "b@cnnect.example"}', _JSON),
    ("invalid UTF-8", b'{"email": "\xff\xfe"}', _JSON),
    ("lone surrogate", b'{"email": "a\\ud800@cnnect.example", "text": "\\udfff"}', _JSON),
    ("UTF-16 unannounced", '{"email": "a"}'.encode("utf-16-le"), _JSON),
    ("charset latin-1", b'{"email": "caf\xe9"}', f"{_JSON}; charset=latin-1"),
    ("charset utf-16", '{"email": "a"}'.encode("utf-16"), f"{_JSON}; charset=utf-16"),
)
_PATH_PARAMETER = re.compile(r"{\w+}")


def fuzz_json_parser(
    schema_url: str, callers: Iterable[Caller], selected: Selection, campaign: Campaign
) -> Campaign:
    """Send every AWKWARD_JSON body to each selected operation of the OpenAPI document at
    `schema_url` that takes a JSON body, as each caller (path parameters name nothing that
    exists). Each answer must be a refusal in our error body: 4xx, never 2xx or 5xx."""
    document = requests.get(schema_url, timeout=TIMEOUT_S).json()
    origin = schema_url.removesuffix(urlsplit(schema_url).path)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if _JSON not in operation.get("requestBody", {}).get("content", {}):
                continue
            label = f"{method.upper()} {path}"
            url = origin + _PATH_PARAMETER.sub("fuzz-nowhere", path)
            for caller in callers:
                if selected(caller.name, label):
                    _send_awkward(method, url, label, caller, campaign)
    return campaign


def _send_awkward(method: str, url: str, label: str, caller: Caller, campaign: Campaign) -> None:
    for name, body, content_type in AWKWARD_JSON:
        headers = {**caller.credentials(), "Content-Type": content_type}
        answer = requests.request(
            method, url, data=body, headers=headers, cookies=caller.cookies, timeout=TIMEOUT_S
        )
        try:
            refusal = answer.json()
        except ValueError:
            refusal = None
        campaign.answers.append(Answer(caller.name, label, answer.status_code, refusal))
        problem = _refusal_problem(answer.status_code, refusal)
        if problem:
            where = f"{label} as {caller.name} ({name})"
            campaign.failures.append(f"{where}: {problem}: {answer.text[:300]!r}")


def _refusal_problem(status: int, body: Any) -> str | None:
    """What is wrong with an answer that must be a refusal in our error body, if anything."""
    if not 400 <= status < 500:
        return f"answered {status}, not a refusal"
    if not (isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"]):
        return f"a {status} answer has no error code"
    return None if "message" in body else f"a {status} answer has no message"
