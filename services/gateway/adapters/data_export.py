"""Everything held about a customer, for them to download (GDPR articles 15 and 20, issue 21):
gathered from the services' own customer endpoints with the customer's own identity, so that
nothing of anyone else can be in it, then packed as a zip of `data.json` and their files."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from services.gateway.adapters.accounts_store import AccountStore
from services.gateway.adapters.connections import UpstreamError, exchange
from services.gateway.adapters.saved_addresses import SavedAddresses
from services.gateway.adapters.upstream import (
    ServiceClient,
    ServiceUnavailableError,
    with_correlation,
)
from shared.web.identity import Identity, issue_token

TABS = ("ongoing", "completed", "cancelled")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
_EXTENSIONS["application/pdf"] = ".pdf"


@dataclass
class Export:
    """The gathered data and files of one customer."""

    data: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)  # path in the zip -> bytes

    def zipped(self) -> bytes:
        """The zip: `data.json`, then every file under `files/`."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("data.json", json.dumps(self.data, indent=2, ensure_ascii=False))
            for path, content in self.files.items():
                archive.writestr(path, content)
        return buffer.getvalue()


def safe_name(text: str) -> str:
    """A file name part without path separators or odd characters."""
    return _UNSAFE.sub("_", text).strip("._")[:80] or "file"


class DataExport:
    """Gathers a customer's export as the customer."""

    def __init__(self, client: ServiceClient, accounts: AccountStore) -> None:
        self.client = client
        self.accounts = accounts

    def gather(self, identity: Identity, email: str, now: datetime) -> Export:
        """Account, orders, billings, deposit, conversations and files of `identity`."""
        customer = identity.subject
        export = Export({"exported_at": now.isoformat(), "account": self._account(customer, email)})
        orders = []
        for tab in TABS:
            orders += self._every("orders", "/orders", identity, "orders", {"tab": tab})
        export.data["orders"] = orders
        export.data["billings"] = []
        export.data["conversations"] = []
        files: list[dict[str, Any]] = []
        for order in orders:
            order_id = str(order["order_id"])
            path = f"/orders/{quote(order_id, safe='')}"
            export.data["billings"] += self._json("billing", f"{path}/billings", identity).get(
                "billings", []
            )
            messages = self._messages(export, identity, order_id, files)
            export.data["conversations"].append({"order_id": order_id, "messages": messages})
            for item in order.get("items", []):
                for photo_id in item.get("photo_ids") or []:
                    href = f"/api/orders{path}/photos/{quote(str(photo_id), safe='')}"
                    files.append(self._file(export, identity, href, order_id, "inspection"))
        export.data["deposit"] = self._json("billing", "/deposit", identity)
        inquiries = self._every("messaging", "/inquiries", identity, "inquiries")
        for inquiry in inquiries:
            conversation = str(inquiry.get("conversation_id", ""))
            inquiry["messages"] = self._messages(export, identity, conversation, files)
        export.data["inquiries"] = inquiries
        export.data["files"] = files
        return export

    def _messages(
        self, export: Export, identity: Identity, conversation_id: str, files: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """A conversation's messages (an order's, or an inquiry's), their files kept."""
        path = f"/orders/{quote(conversation_id, safe='')}/messages"
        messages: list[dict[str, Any]] = self._json("messaging", path, identity).get("messages", [])
        for message in messages:
            for attachment in message.get("attachments") or []:
                href, name = str(attachment.get("href", "")), str(attachment.get("name") or "")
                files.append(self._file(export, identity, href, conversation_id, "message", name))
        return messages

    def _account(self, customer: str, email: str) -> dict[str, Any]:
        rows = self.accounts.store.query(
            "SELECT created_at FROM accounts WHERE account_id = %s", (customer,)
        )
        return {
            "account_id": customer,
            "email": email,
            "created_at": rows[0]["created_at"].isoformat() if rows else None,
            "saved_addresses": [
                {k: v for k, v in asdict(a).items() if k != "address_id"}
                for a in SavedAddresses(self.accounts.store).of(customer)
            ],
        }

    def _every(
        self,
        service: str,
        path: str,
        identity: Identity,
        key: str,
        params: Mapping[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Every page of a service's list (each answer names the offset of the next)."""
        found: list[dict[str, Any]] = []
        offset: object = 0
        while offset is not None:
            page = self._json(service, path, identity, {**(params or {}), "offset": str(offset)})
            found += page.get(key, [])
            offset = page.get("next_offset")
        return found

    def _json(
        self,
        service: str,
        path: str,
        identity: Identity,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """A service's JSON answer; nothing (404) is empty, any other failure stops the export
        (a partial export would look complete)."""
        answer = self.client.get(service, path, identity, params)
        if answer.status == 404:
            return {}
        if not answer.ok or not isinstance(answer.body, dict):
            raise ServiceUnavailableError(service)
        return answer.body

    def _file(
        self,
        export: Export,
        identity: Identity,
        href: str,
        order_id: str,
        kind: str,
        name: str = "",
    ) -> dict[str, Any]:
        """One file fetched where the pages open it (`/api/<service>/<path>`), kept in the zip;
        its entry in `data.json`'s list of files."""
        service, _, path = href.removeprefix("/api/").partition("/")
        entry: dict[str, Any] = {"order_id": order_id, "kind": kind, "name": name, "path": None}
        if service not in self.client.urls:
            entry["missing"] = "not a file of ours"
            return entry
        headers = with_correlation(
            {"Authorization": f"Bearer {issue_token(self.client.secret, identity)}"}
        )
        try:
            answer = exchange(self.client.urls[service], "GET", f"/{path}", b"", headers)
        except UpstreamError as exc:
            raise ServiceUnavailableError(service) from exc
        if answer.status == 410:
            entry["missing"] = "no longer readable"
            return entry
        if answer.status != 200:
            if answer.status >= 500:
                raise ServiceUnavailableError(service)
            entry["missing"] = "not found"
            return entry
        media_type = (answer.header("Content-Type") or "").split(";")[0].strip()
        stem = safe_name(href.rsplit("/", 1)[-1])
        label = f"-{safe_name(name)}" if name else _EXTENSIONS.get(media_type, "")
        zip_path = f"files/{safe_name(order_id)}/{kind}/{stem}{label}"
        export.files[zip_path] = answer.data
        entry.update(path=zip_path, media_type=media_type, size=len(answer.data))
        return entry
