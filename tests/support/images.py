"""Small real images made on the spot, and files that only pretend to be images."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def _encoded(image: Image.Image, format: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format)
    return buffer.getvalue()


def png(width: int = 8, height: int = 8, colour: str = "navy") -> bytes:
    """A real PNG."""
    return _encoded(Image.new("RGB", (width, height), colour), "PNG")


def jpeg(width: int = 8, height: int = 8) -> bytes:
    """A real JPEG."""
    return _encoded(Image.new("RGB", (width, height), "orange"), "JPEG")


def truncated_png() -> bytes:
    """A PNG cut in half: right magic bytes, no image."""
    data = png(64, 64, "red")
    return data[: len(data) // 2]


def html_posing_as_png() -> bytes:
    """An HTML page behind a PNG signature (a polyglot attempt)."""
    return b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>"


def gif() -> bytes:
    """A real GIF."""
    return _encoded(Image.new("P", (4, 4)), "GIF")


def webp() -> bytes:
    """A real WEBP."""
    return _encoded(Image.new("RGB", (4, 4), "green"), "WEBP")


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


MARKUP = b"<html><script>alert(document.cookie)</script></html>"


def jpeg_with_comment(comment: bytes = MARKUP) -> bytes:
    """A real JPEG with `comment` in a COM segment: it decodes, and holds markup (a polyglot)."""
    data = jpeg()
    segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    return data[:2] + segment + data[2:]


def png_with_text(text: bytes = MARKUP) -> bytes:
    """A real PNG with `text` in a tEXt chunk before its pixels (a polyglot)."""
    data = png()
    at = data.index(b"IDAT") - 4
    body = b"tEXt" + b"Comment\x00" + text
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    return data[:at] + chunk + data[at:]


def png_whose_pixels_spell(text: bytes, side: int = 200) -> bytes:
    """A real, uncompressed PNG (written by hand: filter 0, stored deflate blocks) whose pixel
    bytes in the middle of the file spell `text`: pixels, not markup."""
    row = side * 3
    pixels = bytearray(side * row)
    middle = (side // 2) * row + row // 2
    pixels[middle : middle + len(text)] = text
    raw = b"".join(b"\x00" + pixels[y * row : (y + 1) * row] for y in range(side))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 0))
        + chunk(b"IEND", b"")
    )


def truncated_jpeg() -> bytes:
    """A JPEG cut short: right magic bytes, no image."""
    data = jpeg(64, 64)
    return data[: len(data) // 2]
