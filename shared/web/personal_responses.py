"""Every JSON answer of a service shows personal data opened: the stores hold it sealed
(shared/personal), and the caller (the gateway, for a customer or staff) reads it plain."""

from __future__ import annotations

import json

from flask import Flask, Response, current_app

from shared.personal.sealing import TEXT_PREFIX

_MARK = TEXT_PREFIX.encode()


def install(app: Flask) -> None:
    """Open the sealed texts of `app`'s JSON answers (one keyring read per answer)."""

    @app.after_request
    def reveal(response: Response) -> Response:
        # Most answers hold nothing sealed: a byte search settles those without parsing.
        if response.direct_passthrough or not response.is_json:
            return response
        body = response.get_data()
        if _MARK not in body:
            return response
        personal = current_app.extensions["cnnect.context"].personal
        opened = personal.reveal(json.loads(body))
        response.set_data(json.dumps(opened, ensure_ascii=False, separators=(",", ":")))
        return response
