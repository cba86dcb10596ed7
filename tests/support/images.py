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


def gif() -> bytes:
    """A real GIF."""
    buffer = io.BytesIO()
    Image.new("P", (4, 4)).save(buffer, "GIF")
    return buffer.getvalue()


def webp() -> bytes:
    """A real WEBP."""
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(buffer, "WEBP")
    return buffer.getvalue()


def pdf(extra: bytes = b"") -> bytes:
    """A minimal well-formed PDF; `extra` goes into its catalog (for hostile variants)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
