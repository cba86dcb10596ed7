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


def pdf(*extra_objects: bytes, catalog_extra: bytes = b"") -> bytes:
    """A small well-formed PDF with a correct xref table; `catalog_extra` goes into its
    catalog and `extra_objects` are numbered from 4 (for hostile variants)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        *extra_objects,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
