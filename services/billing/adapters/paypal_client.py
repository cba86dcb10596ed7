"""PayPal REST client: an OAuth2 client-credentials token (cached), orders v2 creation and the
capture of an approved order.

Written on `requests` rather than PayPal's `paypal-server-sdk` (2.4.0): the SDK is untyped (no
py.typed, no annotations), only knows its two hard-coded environment URLs (no configurable base
URL for a local fake) and drags in apimatic-core and python-dotenv.

Only transient failures (connection errors, timeouts, 5xx, 429) are retried, a bounded number
of times with jittered backoff; creating an order is safe to repeat because every attempt
carries the caller's `PayPal-Request-Id`, which PayPal uses as an idempotency key."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from services.billing.adapters.paypal import (
    PayPalProtocolError,
    PayPalRejectedError,
    PayPalUnavailableError,
    link_href,
    text_field,
    to_paypal_amount,
)
from shared.money import Money

T = TypeVar("T")

RETRY_ATTEMPTS = 4
MAX_RETRY_WAIT_S = 5.0
_BACKOFF = wait_exponential_jitter(multiplier=0.1, max=2.0, jitter=0.1)
# A token is renewed this long before PayPal says it expires (clock skew, time in flight).
TOKEN_RENEW_MARGIN_S = 60


@dataclass(frozen=True)
class CreatedOrder:
    """An order PayPal created: where to send the payer to approve it."""

    order_id: str
    approval_url: str
    status: str


@dataclass(frozen=True)
class CapturedOrder:
    """PayPal's answer to capturing an approved order: the order's status and its capture's
    (COMPLETED, PENDING, DECLINED). The capture webhook records the money, not this answer."""

    order_id: str
    status: str
    capture_id: str
    capture_status: str


def _wait(state: RetryCallState) -> float:
    """Jittered exponential backoff, or PayPal's Retry-After when it says more (capped)."""
    backoff = _BACKOFF(state)
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, PayPalUnavailableError) and exc.retry_after is not None:
        return min(max(backoff, exc.retry_after), MAX_RETRY_WAIT_S)
    return backoff


_RETRYING = Retrying(
    retry=retry_if_exception_type(PayPalUnavailableError),
    stop=stop_after_attempt(RETRY_ATTEMPTS),
    wait=_wait,
    reraise=True,
)


class PayPalClient:
    """Calls PayPal's REST API at `base_url` (https://api-m.paypal.com in production)."""

    def __init__(
        self, base_url: str, client_id: str, client_secret: str, timeout: float = 10
    ) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        self._base_url = base_url.rstrip("/")
        self._auth = (client_id, client_secret)
        self._timeout = timeout
        self._session = requests.Session()
        self._token_lock = threading.Lock()
        self._token: str | None = None
        self._token_renew_at = 0.0

    def __enter__(self) -> PayPalClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the pooled connections."""
        self._session.close()

    def access_token(self) -> str:
        """A bearer token, fetched with our client credentials and reused until near expiry."""
        return self._retrying(self._current_token)

    def create_order(
        self,
        reference_id: str,
        amount: Money,
        request_id: str,
        return_url: str,
        cancel_url: str,
        description: str = "",
    ) -> CreatedOrder:
        """Create a CAPTURE order for `amount`; the same `request_id` yields the same order.
        `description` is what PayPal shows the payer beside the amount (at most 127 chars)."""
        if amount.amount <= 0:
            raise ValueError(f"an order needs a positive amount, not {amount}")
        if not request_id:
            raise ValueError("request_id is required (it is PayPal's idempotency key)")
        unit: dict[str, Any] = {
            "reference_id": reference_id,
            "custom_id": reference_id,
            "amount": to_paypal_amount(amount),
        }
        if description:
            unit["description"] = description[:127]
        body = {
            "intent": "CAPTURE",
            "purchase_units": [unit],
            "payment_source": {
                "paypal": {
                    "experience_context": {
                        "return_url": return_url,
                        "cancel_url": cancel_url,
                        "user_action": "PAY_NOW",
                        "shipping_preference": "NO_SHIPPING",
                    }
                }
            },
        }
        headers = {"PayPal-Request-Id": request_id}
        return self._retrying(lambda: self._create_order_once(body, headers))

    def capture_order(self, order_id: str, request_id: str) -> CapturedOrder:
        """Capture an order the payer approved; the same `request_id` captures once."""
        if not request_id:
            raise ValueError("request_id is required (it is PayPal's idempotency key)")
        headers = {"PayPal-Request-Id": request_id, "Prefer": "return=representation"}
        path = f"/v2/checkout/orders/{order_id}/capture"
        return self._retrying(lambda: self._capture_once(path, headers))

    # --- internals ---------------------------------------------------------------------------
    def _retrying(self, fn: Callable[[], T]) -> T:
        return _RETRYING(fn)

    def _create_order_once(
        self, body: Mapping[str, Any], headers: Mapping[str, str]
    ) -> CreatedOrder:
        response = self._authorized("POST", "/v2/checkout/orders", body, headers)
        if response.status_code not in (200, 201):
            raise _rejected(response, "creating the order")
        data = _json(response)
        order_id, status = text_field(data, "id"), text_field(data, "status")
        approval_url = link_href(data.get("links"), "approve", "payer-action")
        if approval_url is None:
            raise PayPalProtocolError(f"order {order_id} ({status}) has no approval link")
        return CreatedOrder(order_id, approval_url, status)

    def _capture_once(self, path: str, headers: Mapping[str, str]) -> CapturedOrder:
        response = self._authorized("POST", path, {}, headers)
        if response.status_code not in (200, 201):
            raise _rejected(response, "capturing the payment")
        data = _json(response)
        try:
            capture = data["purchase_units"][0]["payments"]["captures"][0]
        except (KeyError, IndexError, TypeError) as exc:
            raise PayPalProtocolError("the captured order carries no capture") from exc
        if not isinstance(capture, Mapping):
            raise PayPalProtocolError("the capture is not an object")
        return CapturedOrder(
            text_field(data, "id"),
            text_field(data, "status"),
            text_field(capture, "id"),
            text_field(capture, "status"),
        )

    def _authorized(
        self, method: str, path: str, body: Mapping[str, Any], headers: Mapping[str, str]
    ) -> requests.Response:
        """Send with our bearer token; once, a token PayPal no longer accepts is renewed."""
        token = self._current_token()
        response = self._send(method, path, json=body, headers={**headers, **_bearer(token)})
        if response.status_code == 401:
            self._forget_token(token)
            token = self._current_token()
            response = self._send(method, path, json=body, headers={**headers, **_bearer(token)})
        return response

    def _current_token(self) -> str:
        with self._token_lock:
            if self._token is not None and time.monotonic() < self._token_renew_at:
                return self._token
            response = self._send(
                "POST",
                "/v1/oauth2/token",
                data={"grant_type": "client_credentials"},
                auth=self._auth,
            )
            if response.status_code != 200:
                raise _rejected(response, "fetching an access token")
            data = _json(response)
            token, expires_in = text_field(data, "access_token"), data.get("expires_in")
            if not isinstance(expires_in, int) or expires_in <= 0:
                raise PayPalProtocolError(f"token expires_in {expires_in!r} is not a duration")
            margin = min(TOKEN_RENEW_MARGIN_S, expires_in // 2)
            self._token, self._token_renew_at = token, time.monotonic() + expires_in - margin
            return token

    def _forget_token(self, token: str) -> None:
        with self._token_lock:
            if self._token == token:
                self._token = None

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One HTTP exchange; transient failures become PayPalUnavailableError."""
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        url = self._base_url + path
        try:
            response = self._session.request(
                method, url, headers=headers, timeout=self._timeout, allow_redirects=False, **kwargs
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise PayPalUnavailableError(f"PayPal unreachable ({method} {path}): {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise PayPalUnavailableError(
                f"PayPal answered {response.status_code} to {method} {path}",
                status=response.status_code,
                retry_after=_retry_after(response),
            )
        return response


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _json(response: requests.Response) -> Mapping[str, Any]:
    try:
        data = response.json()
    except ValueError as exc:
        raise PayPalProtocolError(f"PayPal answered non-JSON ({response.status_code})") from exc
    if not isinstance(data, dict):
        raise PayPalProtocolError("PayPal answered JSON that is not an object")
    return data


def _rejected(response: requests.Response, doing: str) -> PayPalRejectedError:
    """PayPal's error document ({name, message, debug_id} or OAuth's {error, ...}) as ours."""
    try:
        data = response.json()
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    name = data.get("name") or data.get("error")
    message = data.get("message") or data.get("error_description") or response.reason
    details = data.get("details")
    if isinstance(details, list) and details and isinstance(details[0], dict):
        message = f"{message} ({details[0].get('issue')}: {details[0].get('description')})"
    debug_id = data.get("debug_id")
    return PayPalRejectedError(
        f"PayPal refused {doing}: {response.status_code} {name}: {message}",
        status=response.status_code,
        name=str(name) if name else None,
        debug_id=str(debug_id) if debug_id else None,
    )


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
