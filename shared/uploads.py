"""Uploaded files judged by their content, never by their name or declared type."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from shared.domain_errors import ValidationError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000  # larger images are decompression bombs, not photos
# Markup that turns an image into an HTML/PHP/SVG polyglot.
POLYGLOT_MARKERS = (b"<script", b"<html", b"<?php", b"<svg")
# Where a polyglot carries its markup: the file's first and last bytes (where a sniffer looks,
# and what follows the image's end) and the image's metadata (comments, text chunks, EXIF).
# The compressed pixels between are not searched: 10 MB of them hold "<svg" by chance about
# once in fifty photos, which would refuse real ones.
EDGE_BYTES = 1024

# (format name, media type, magic prefix test)
_IMAGE_FORMATS = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}


@dataclass(frozen=True)
class JudgedFile:
    """An upload whose real type is known."""

    media_type: str
    content: bytes


def sniff_image(content: bytes) -> str | None:
    """The image format the magic bytes announce, or None."""
    if content.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "WEBP"
    if content[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    return None


def judge_image(
    content: bytes, allowed: frozenset[str], max_bytes: int = MAX_UPLOAD_BYTES, name: str = "file"
) -> JudgedFile:
    """Accept `content` only if it is an image of an allowed format that fully decodes."""
    if not content:
        raise ValidationError(f"{name} is empty")
    if len(content) > max_bytes:
        raise ValidationError(f"{name} is larger than {max_bytes // (1024 * 1024)} MB")
    announced = sniff_image(content)
    if announced not in allowed:
        kinds = ", ".join(sorted(allowed))
        raise ValidationError(f"{name} is not an image of an accepted kind ({kinds})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.format != announced:
                    raise ValidationError(f"{name} is not a well-formed {announced} image")
                if image.width * image.height > MAX_PIXELS:
                    raise ValidationError(f"{name} has too many pixels")
                image.load()  # decodes every byte: a truncated file fails here
                metadata = [v for v in image.info.values() if isinstance(v, (bytes, str))]
    except ValidationError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise ValidationError(f"{name} is not a readable {announced} image") from exc
    if _holds_markup([content[:EDGE_BYTES], content[-EDGE_BYTES:], *metadata]):
        raise ValidationError(f"{name}: an image that also contains markup is not accepted")
    return JudgedFile(_IMAGE_FORMATS[announced], content)


def _holds_markup(parts: list[bytes | str]) -> bool:
    """True when any part holds HTML, script, PHP or SVG markup (any letter case)."""
    for part in parts:
        data = (part.encode("utf-8", "replace") if isinstance(part, str) else part).lower()
        if any(marker in data for marker in POLYGLOT_MARKERS):
            return True
    return False
