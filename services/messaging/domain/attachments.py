"""Message attachments (rule R14) judged by their content, never by their name or declared type."""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from shared.domain_errors import ValidationError
from shared.uploads import judge_image, sniff_image

ALLOWED = frozenset({"JPEG", "PNG", "GIF", "WEBP", "PDF"})
MAX_ATTACHMENTS = 3
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_PDF_INFLATED_BYTES = 50 * 1024 * 1024  # all decoded PDF streams together: a zip bomb guard
MAX_PREDICTED_BYTES = 8 * 1024 * 1024  # PNG predictors are undone in Python: keep that bounded
MAX_DISPLAY_NAME = 120
READ_CHUNK = 64 * 1024

_IMAGE_KINDS = frozenset({"JPEG", "PNG", "GIF", "WEBP"})
_MEDIA_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "PDF": "application/pdf",
}
_ACCEPTED_TEXT = "JPEG, PNG, GIF, WEBP or PDF"
_EOF_WINDOW = 1024

# --- PDF lexing ---------------------------------------------------------------------------------
_REGULAR = rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]"  # a PDF "regular" character (not space/delimiter)
_END_OF_NAME = rb"(?!" + _REGULAR + rb")"
_ESCAPED_NAME = re.compile(rb"/" + _REGULAR + rb"*#[0-9A-Fa-f]{2}" + _REGULAR + rb"*")
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM_KEYWORD = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r)")
_OBJ_HEADER = re.compile(rb"\d+[\x00\t\n\x0c\r ]+\d+[\x00\t\n\x0c\r ]+obj" + _END_OF_NAME)
_OBJSTM_HEADER = re.compile(rb"\A[\x00\t\n\x0c\r ]*\d+[\x00\t\n\x0c\r ]+\d+[\x00\t\n\x0c\r ]")
_NAME = re.compile(rb"/(" + _REGULAR + rb"+)")
_INT_AFTER = rb"[\x00\t\n\x0c\r ]*(\d+)"

# Distinctive names, refused wherever they appear (raw bytes and every decoded stream).
_LONG_NAMES: dict[bytes, str] = {
    b"javascript": "JavaScript",
    b"launch": "a launch action",
    b"embeddedfiles": "embedded files",
    b"embeddedfile": "embedded files",
    b"fileattachment": "embedded files",
    b"richmedia": "rich media",
    b"xfa": "an XFA form",
    b"submitform": "a form submit action",
    b"importdata": "a form import action",
    b"gotoe": "an action into embedded files",
    b"encrypt": "encryption (its content cannot be inspected)",
}
# Short names, refused in object syntax only (they occur by chance in binary stream data).
_SHORT_NAMES: dict[bytes, str] = {
    b"JS": "JavaScript",
    b"AA": "additional actions (/AA)",
}
_LONG_PATTERN = re.compile(
    rb"/(?i:(" + b"|".join(re.escape(n) for n in _LONG_NAMES) + rb"))" + _END_OF_NAME
)
_SHORT_PATTERN = re.compile(
    rb"/(" + b"|".join(re.escape(n) for n in _SHORT_NAMES) + rb")" + _END_OF_NAME
)
_GENERAL_FILTERS = {
    b"FlateDecode": b"FlateDecode",
    b"Fl": b"FlateDecode",
    b"ASCIIHexDecode": b"ASCIIHexDecode",
    b"AHx": b"ASCIIHexDecode",
    b"ASCII85Decode": b"ASCII85Decode",
    b"A85": b"ASCII85Decode",
}
_IMAGE_FILTERS = frozenset(
    {b"DCTDecode", b"DCT", b"JPXDecode", b"JBIG2Decode", b"CCITTFaxDecode", b"CCF"}
)


@dataclass(frozen=True)
class JudgedAttachment:
    """An attachment whose real kind is known; its original name is kept as metadata only."""

    media_type: str
    content: bytes
    display_name: str
    kind: str


def safe_display_name(name: str) -> str:
    """A harmless display form of an uploaded file name; never a reason to refuse the file."""
    cleaned = "".join(
        " " if unicodedata.category(c) in ("Zl", "Zp") else c
        for c in unicodedata.normalize("NFC", name)
        if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co")
    )
    cleaned = re.split(r"[/\\]", cleaned)[-1]
    cleaned = re.sub(r'[<>:"|?*]', "_", cleaned)
    cleaned = " ".join(cleaned.split()).lstrip(". ").rstrip(". ")
    if len(cleaned) > MAX_DISPLAY_NAME:
        stem, dot, suffix = cleaned.rpartition(".")
        if dot and stem and 0 < len(suffix) <= 16:
            cleaned = stem[: MAX_DISPLAY_NAME - len(suffix) - 1].rstrip(". ") + "." + suffix
        else:
            cleaned = cleaned[:MAX_DISPLAY_NAME].rstrip(". ")
    return cleaned or "attachment"


def read_limited(stream: IO[bytes], limit: int = MAX_ATTACHMENT_BYTES) -> bytes:
    """Read `stream` in chunks, refusing it as soon as more than `limit` bytes arrived."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(min(READ_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise ValidationError(f"an attachment is larger than {_size_text(limit)}")
        chunks.append(chunk)


def judge_attachments(files: Sequence[tuple[str, bytes]]) -> list[JudgedAttachment]:
    """Judge a message's (name, content) files: all are accepted, or the whole list is refused."""
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError(
            f"a message has at most {MAX_ATTACHMENTS} attachments, not {len(files)}"
        )
    return [
        judge_attachment(content, name, position)
        for position, (name, content) in enumerate(files, start=1)
    ]


def judge_attachment(content: bytes, name: str, position: int) -> JudgedAttachment:
    """Accept `content` only if its bytes are an allowed, well-formed, inert image or PDF."""
    display_name = safe_display_name(name)
    label = f"attachment {position} ({display_name})"
    if not content:
        raise ValidationError(f"{label} is empty")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise ValidationError(f"{label} is larger than {_size_text(MAX_ATTACHMENT_BYTES)}")
    kind = sniff_image(content) or ""
    if kind in _IMAGE_KINDS:
        judge_image(content, _IMAGE_KINDS, MAX_ATTACHMENT_BYTES, name=label)  # polyglots too
    elif content.startswith(b"%PDF-"):
        kind = "PDF"
        try:
            judge_pdf(content)
        except ValidationError as exc:
            raise ValidationError(f"{label}: {exc}") from exc
    else:
        raise ValidationError(f"{label} is not an accepted kind ({_ACCEPTED_TEXT})")
    return JudgedAttachment(_MEDIA_TYPES[kind], content, display_name, kind)


def judge_pdf(content: bytes) -> None:
    """Refuse a malformed PDF or one with active content (scripts, actions, embedded files)."""
    if not content.startswith(b"%PDF-"):
        raise ValidationError("a PDF must start with %PDF-")
    if b"%%EOF" not in content[-_EOF_WINDOW:]:
        raise ValidationError("a PDF must end with %%EOF: this one is truncated or malformed")
    budget = _Budget(MAX_PDF_INFLATED_BYTES)
    _refuse_names(_unescape_names(content), short=False)
    previous_end = 0
    for keyword in _STREAM_KEYWORD.finditer(content):
        if keyword.start() < previous_end:
            continue
        body_start = keyword.end()
        body_end = content.find(b"endstream", body_start)
        if body_end < 0:
            body_end = len(content)
        between = content[previous_end : keyword.start()]
        _refuse_names(_unescape_names(between), short=True)
        _judge_stream(_stream_dict(between), content[body_start:body_end], budget)
        previous_end = body_end
    _refuse_names(_unescape_names(content[previous_end:]), short=True)


class _Budget:
    """How many more decoded bytes a PDF may produce."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def spend(self, amount: int) -> None:
        """Count `amount` decoded bytes, refusing the PDF once the total passes the limit."""
        self.left -= amount
        if self.left < 0:
            raise ValidationError(
                f"a PDF that expands beyond {_size_text(self.limit)} when decoded is not accepted"
            )


def _size_text(size: int) -> str:
    """A byte count for people: whole MB when it is one, else bytes."""
    mb = 1024 * 1024
    return f"{size // mb} MB" if size % mb == 0 else f"{size} bytes"


def _unescape_names(data: bytes) -> bytes:
    """`data` with the #xx escapes inside PDF names decoded (/J#61vaScript is /JavaScript)."""
    return _ESCAPED_NAME.sub(
        lambda m: _HEX_ESCAPE.sub(lambda h: bytes([int(h.group(1), 16)]), m.group(0)), data
    )


def _refuse_names(data: bytes, *, short: bool) -> None:
    """Refuse the PDF if `data` names active content; short names only when `short` is set."""
    found = _LONG_PATTERN.search(data)
    if found:
        raise ValidationError(f"a PDF with {_LONG_NAMES[found.group(1).lower()]} is not accepted")
    if short:
        found = _SHORT_PATTERN.search(data)
        if found:
            raise ValidationError(f"a PDF with {_SHORT_NAMES[found.group(1)]} is not accepted")


def _stream_dict(between: bytes) -> bytes:
    """The (unescaped) dictionary of the stream that follows `between`, best effort."""
    headers = list(_OBJ_HEADER.finditer(between))
    dictionary = between[headers[-1].end() :] if headers else between
    if b"(" in dictionary or b"<<" not in dictionary:
        # A string could hide an "N G obj" look-alike: fall back to everything before the stream.
        dictionary = between
    return _unescape_names(dictionary)


def _judge_stream(dictionary: bytes, body: bytes, budget: _Budget) -> None:
    """Decode one stream as far as possible and refuse it if it carries active content."""
    names = {m.group(1) for m in _NAME.finditer(dictionary)}
    object_stream = b"ObjStm" in names or b"First" in names
    decoded: list[bytes] = []
    inflated_body = False
    try:
        data, inflated_body = _decode_declared(dictionary, names, body, budget, object_stream)
        decoded.append(data)
    except _Undecodable as exc:
        if object_stream:
            raise ValidationError(
                f"a PDF with an object stream that {exc} is not accepted"
            ) from exc
    if not inflated_body:
        # Whatever the dictionary claims, a stream that inflates is inspected too.
        inflated = _inflate(body, budget, strict=False)
        if inflated is not None:
            decoded.append(inflated)
    for data in decoded:
        data = _unescape_names(data)
        _refuse_names(data, short=object_stream or bool(_OBJSTM_HEADER.match(data)))


class _Undecodable(Exception):
    """A stream this module cannot decode; the message says why."""


def _decode_declared(
    dictionary: bytes, names: set[bytes], body: bytes, budget: _Budget, object_stream: bool
) -> tuple[bytes, bool]:
    """The body decoded through its declared filters, and whether the body itself was inflated."""
    match = re.search(rb"/Filter[\x00\t\n\x0c\r ]*(\[[^\]]*\]|/" + _REGULAR + rb"+)", dictionary)
    filters = [m.group(1) for m in _NAME.finditer(match.group(1))] if match else []
    if b"Filter" in names and not match:
        raise _Undecodable("has an indirect filter")
    data = body
    inflated_body = bool(filters) and _GENERAL_FILTERS.get(filters[0]) == b"FlateDecode"
    for name in filters:
        if name in _IMAGE_FILTERS:
            return data, inflated_body
        general = _GENERAL_FILTERS.get(name)
        if general is None:
            raise _Undecodable(f"uses the {name.decode('latin-1')} filter")
        if general == b"FlateDecode":
            inflated = _inflate(data, budget, strict=True)
            assert inflated is not None
            data = inflated
        elif general == b"ASCIIHexDecode":
            data = _hex_decode(data)
        else:
            data = _ascii85_decode(data)
    predictor = _int_key(dictionary, b"Predictor", 1)
    if predictor == 1 or (b"Image" in names and not object_stream):
        return data, inflated_body  # image rows stay predicted: they hold no PDF objects
    if predictor < 10:
        raise _Undecodable(f"uses predictor {predictor}")
    if len(data) > MAX_PREDICTED_BYTES:
        raise _Undecodable("is too large to inspect")
    return _png_unpredict(data, dictionary), inflated_body


def _inflate(data: bytes, budget: _Budget, *, strict: bool) -> bytes | None:
    """Zlib-inflate `data` within the budget; None (or _Undecodable when strict) if it is not."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, max(budget.left, 0) + 1)
    except zlib.error as exc:
        if strict:
            raise _Undecodable("is damaged") from exc
        return None
    budget.spend(len(out))
    return out


def _hex_decode(data: bytes) -> bytes:
    """ASCIIHexDecode."""
    text = re.sub(rb"[\x00\t\n\x0c\r ]", b"", data.split(b">", 1)[0])
    if len(text) % 2:
        text += b"0"
    try:
        return binascii.unhexlify(text)
    except binascii.Error as exc:
        raise _Undecodable("is damaged") from exc


def _ascii85_decode(data: bytes) -> bytes:
    """ASCII85Decode."""
    text = data.split(b"~>", 1)[0].removeprefix(b"<~")
    try:
        return base64.a85decode(text, ignorechars=b"\x00\t\n\x0c\r ")
    except ValueError as exc:
        raise _Undecodable("is damaged") from exc


def _int_key(dictionary: bytes, key: bytes, default: int) -> int:
    """The integer value of `/key` in `dictionary`, or `default`."""
    found = re.search(rb"/" + key + _END_OF_NAME + _INT_AFTER, dictionary)
    return int(found.group(1)) if found else default


def _png_unpredict(data: bytes, dictionary: bytes) -> bytes:
    """Undo the PNG row predictors (Predictor >= 10) of a decoded stream."""
    colors = _int_key(dictionary, b"Colors", 1)
    bits = _int_key(dictionary, b"BitsPerComponent", 8)
    columns = _int_key(dictionary, b"Columns", 1)
    if not (0 < colors <= 32 and bits in (1, 2, 4, 8, 16) and 0 < columns <= 1 << 20):
        raise _Undecodable("has bad predictor parameters")
    step = max(1, colors * bits // 8)
    width = (colors * bits * columns + 7) // 8
    out = bytearray()
    prior = bytearray(width)
    for start in range(0, len(data), width + 1):
        kind, row = data[start], bytearray(data[start + 1 : start + 1 + width])
        row.extend(bytes(width - len(row)))
        for i in range(width):
            left = row[i - step] if i >= step else 0
            up = prior[i]
            if kind == 1:
                row[i] = (row[i] + left) & 0xFF
            elif kind == 2:
                row[i] = (row[i] + up) & 0xFF
            elif kind == 3:
                row[i] = (row[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                upper_left = prior[i - step] if i >= step else 0
                row[i] = (row[i] + _paeth(left, up, upper_left)) & 0xFF
            elif kind != 0:
                raise _Undecodable("has a bad predictor row")
        out += row
        prior = row
    return bytes(out)


def _paeth(left: int, up: int, upper_left: int) -> int:
    """The PNG Paeth predictor."""
    estimate = left + up - upper_left
    a, b, c = abs(estimate - left), abs(estimate - up), abs(estimate - upper_left)
    if a <= b and a <= c:
        return left
    return up if b <= c else upper_left
