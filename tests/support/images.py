"""Small real images made on the spot, and files that only pretend to be images."""

from __future__ import annotations

import io

from PIL import Image


def png(width: int = 8, height: int = 8, colour: str = "navy") -> bytes:
    """A real PNG."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(width: int = 8, height: int = 8) -> bytes:
    """A real JPEG."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "orange").save(buffer, "JPEG")
    return buffer.getvalue()


def truncated_png() -> bytes:
    """A PNG cut in half: right magic bytes, no image."""
    data = png(64, 64, "red")
    return data[: len(data) // 2]


def html_posing_as_png() -> bytes:
    """An HTML page behind a PNG signature (a polyglot attempt)."""
    return b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>"
