"""Message attachments (R14) are judged by their bytes, never by their name."""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image

from services.messaging.domain.attachments import (
    ALLOWED,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    JudgedAttachment,
    judge_attachment,
    judge_attachments,
    judge_pdf,
    read_limited,
    safe_display_name,
)
from shared.domain_errors import ValidationError
from tests.support.images import pdf


def _image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format=kind)
    return out.getvalue()


def _stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), entries) + data + b"\nendstream"


def _object_stream(*objects: bytes) -> bytes:
    """A FlateDecode object stream holding `objects` as objects 10, 11, ..."""
    header, body = b"", b""
    for number, obj in enumerate(objects, start=10):
        header += b"%d %d " % (number, len(body))
        body += obj + b"\n"
    data = zlib.compress(header + body)
    entries = b"/Type /ObjStm /N %d /First %d /Filter /FlateDecode " % (len(objects), len(header))
    return _stream(data, entries)


def _refused(content: bytes, name: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        judge_attachment(content, name, 2)
    assert f"attachment 2 ({safe_display_name(name)})" in str(caught.value)
    assert fragment in str(caught.value)


# --- accepted kinds --------------------------------------------------------------------------
@pytest.mark.rule("R14")
@pytest.mark.parametrize(
    ("kind", "media_type"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("GIF", "image/gif"), ("WEBP", "image/webp")],
)
def test_each_allowed_image_kind_is_accepted(kind: str, media_type: str) -> None:
    content = _image(kind)
    judged = judge_attachment(content, f"picture.{kind.lower()}", 1)
    assert judged == JudgedAttachment(media_type, content, f"picture.{kind.lower()}", kind)


@pytest.mark.rule("R14")
def test_a_plain_pdf_is_accepted() -> None:
    content = pdf(_stream(b"BT /F1 12 Tf 10 10 Td (Hello) Tj ET"))
    judge_pdf(content)
    judged = judge_attachment(content, "report.pdf", 1)
    assert (judged.media_type, judged.kind, judged.display_name) == (
        "application/pdf",
        "PDF",
        "report.pdf",
    )


def test_a_pdf_with_a_harmless_object_stream_and_goto_open_action_is_accepted() -> None:
    content = pdf(
        _object_stream(b"<< /Title (Chapter 1) >>", b"<< /S /URI /URI (https://example.com) >>"),
        catalog_extra=b"/OpenAction [3 0 R /Fit] ",
    )
    judge_pdf(content)


def test_the_kind_comes_from_the_bytes_not_the_name() -> None:
    judged = judge_attachment(_image("PNG"), "holiday.pdf", 1)
    assert (judged.kind, judged.media_type) == ("PNG", "image/png")
    assert frozenset({"JPEG", "PNG", "GIF", "WEBP", "PDF"}) == ALLOWED


# --- refused kinds ---------------------------------------------------------------------------
@pytest.mark.rule("R14")
@pytest.mark.parametrize(
    "content",
    [b"MZ\x90\x00\x03" + bytes(200), b"\x7fELF\x02\x01\x01" + bytes(200), b"#!/bin/sh\nrm -rf /\n"],
    ids=["windows-exe", "elf", "shebang"],
)
def test_a_renamed_executable_is_refused(content: bytes) -> None:
    _refused(content, "photo.jpg", "is not an accepted kind")


@pytest.mark.rule("R14")
def test_an_html_gif_polyglot_is_refused() -> None:
    polyglot = _image("GIF") + b"<html><SCRIPT>alert(document.cookie)</SCRIPT></html>"
    _refused(polyglot, "cat.gif", "contains markup")


@pytest.mark.rule("R14")
def test_a_truncated_png_is_refused() -> None:
    png = _image("PNG")
    _refused(png[: len(png) // 2], "cut.png", "is not a readable PNG image")


@pytest.mark.rule("R14")
def test_an_empty_file_is_refused() -> None:
    _refused(b"", "empty.jpg", "is empty")


@pytest.mark.rule("R14")
def test_a_pdf_must_start_at_offset_zero_and_end_with_eof() -> None:
    _refused(b"junk" + pdf(), "x.pdf", "is not an accepted kind")
    _refused(pdf()[:-40], "x.pdf", "%%EOF")


# --- PDFs with active content ----------------------------------------------------------------
@pytest.mark.rule("R14")
@pytest.mark.parametrize(
    ("objects", "catalog_extra", "reason"),
    [
        ((b"<< /S /JavaScript /JS (app.alert(1)) >>",), b"/OpenAction 4 0 R ", "JavaScript"),
        ((b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>",), b"", "JavaScript"),
        ((b"<< /S /Launch /F (cmd.exe) >>",), b"/OpenAction 4 0 R ", "a launch action"),
        ((b"<< /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>",), b"/Names 4 0 R ", "embedded"),
        ((), b"/OpenAction << /JS (app.alert(1)) >> ", "JavaScript"),
        ((), b"/AA << /O 4 0 R >> ", "additional actions"),
        ((b"<< /Type /Annot /Subtype /RichMedia >>",), b"", "rich media"),
        ((b"<< /Fields [] /XFA 5 0 R >>",), b"/AcroForm 4 0 R ", "an XFA form"),
        ((b"<< /S /SubmitForm /F (https://evil.example) >>",), b"", "a form submit action"),
    ],
    ids=[
        "javascript",
        "hex-escaped-javascript",
        "launch",
        "embedded-files",
        "open-action-js",
        "additional-actions",
        "rich-media",
        "xfa",
        "submit-form",
    ],
)
def test_a_pdf_with_active_content_is_refused(
    objects: tuple[bytes, ...], catalog_extra: bytes, reason: str
) -> None:
    content = pdf(*objects, catalog_extra=catalog_extra)
    with pytest.raises(ValidationError, match=reason):
        judge_pdf(content)
    _refused(content, "report.pdf", f"a PDF with {reason}")


@pytest.mark.rule("R14")
def test_javascript_hidden_in_a_compressed_object_stream_is_refused() -> None:
    content = pdf(_object_stream(b"<< /S /JavaScript /JS (app.alert(1)) >>"))
    assert b"JavaScript" not in content
    _refused(content, "report.pdf", "a PDF with JavaScript is not accepted")


def test_short_active_names_in_an_object_stream_are_refused() -> None:
    content = pdf(_object_stream(b"<< /J#53 10 0 R >>"))
    _refused(content, "report.pdf", "JavaScript")


def test_an_object_stream_under_a_filter_chain_is_decoded() -> None:
    inner = zlib.compress(b"10 0 << /S /JavaScript >>").hex().encode() + b">"
    entries = b"/Type /ObjStm /N 1 /First 5 /Filter [/AHx /FlateDecode] "
    _refused(pdf(_stream(inner, entries)), "report.pdf", "JavaScript")


def test_an_object_stream_hidden_behind_a_png_predictor_is_refused() -> None:
    row = b"10 0 << /S /JavaScript /JS (x) >>"
    sub = bytes((row[i] - (row[i - 1] if i else 0)) & 0xFF for i in range(len(row)))
    data = zlib.compress(b"\x01" + sub)
    assert b"JavaScript" not in zlib.decompress(data)
    entries = b"/Type /ObjStm /N 1 /First 5 /Filter /FlateDecode "
    entries += b"/DecodeParms << /Predictor 12 /Columns %d >> " % len(row)
    _refused(pdf(_stream(data, entries)), "report.pdf", "JavaScript")


def test_an_object_stream_that_cannot_be_inspected_is_refused() -> None:
    entries = b"/Type /ObjStm /N 1 /First 5 /Filter /LZWDecode "
    _refused(pdf(_stream(b"\x80\x0b\x60\x50", entries)), "report.pdf", "object stream")


def test_a_pdf_decompression_bomb_is_refused() -> None:
    bomb = zlib.compress(bytes(60 * 1024 * 1024), 9)
    content = pdf(_stream(bomb, b"/Filter /FlateDecode "))
    assert len(content) < MAX_ATTACHMENT_BYTES
    _refused(content, "bomb.pdf", "expands beyond 50 MB")


# --- counts and sizes ------------------------------------------------------------------------
@pytest.mark.rule("R14")
def test_at_most_three_attachments_per_message() -> None:
    files = [(f"p{i}.png", _image("PNG")) for i in range(MAX_ATTACHMENTS)]
    assert len(judge_attachments(files)) == 3
    with pytest.raises(ValidationError, match="at most 3 attachments"):
        judge_attachments([*files, ("p4.png", _image("PNG"))])


@pytest.mark.rule("R14")
def test_one_bad_file_refuses_the_whole_message() -> None:
    files = [("ok.png", _image("PNG")), ("evil.jpg", b"MZ" + bytes(100))]
    with pytest.raises(ValidationError, match=r"attachment 2 \(evil\.jpg\)"):
        judge_attachments(files)


@pytest.mark.rule("R14")
def test_read_limited_accepts_exactly_10_mb_and_refuses_one_byte_more() -> None:
    assert len(read_limited(io.BytesIO(bytes(MAX_ATTACHMENT_BYTES)))) == MAX_ATTACHMENT_BYTES
    with pytest.raises(ValidationError, match="larger than 10 MB"):
        read_limited(io.BytesIO(bytes(MAX_ATTACHMENT_BYTES + 1)))


def test_read_limited_stops_reading_once_the_limit_is_passed() -> None:
    stream = io.BytesIO(bytes(1000))
    with pytest.raises(ValidationError):
        read_limited(stream, limit=100)
    assert stream.tell() <= 101


@pytest.mark.rule("R14")
def test_a_file_over_10_mb_is_refused() -> None:
    _refused(pdf() + bytes(MAX_ATTACHMENT_BYTES), "big.pdf", "larger than 10 MB")


# --- names -----------------------------------------------------------------------------------
@pytest.mark.rule("R14")
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("a\r\nContent-Type: text/html", "html"),
        ("report\r\nX-Injected: 1.pdf", "reportX-Injected_ 1.pdf"),
        ("<script>.pdf", "_script_.pdf"),
        (".htaccess", "htaccess"),
        ("photo\u202egpj.exe", "photogpj.exe"),
        ("", "attachment"),
        ("../..", "attachment"),
        ("\x00\x01\x7f", "attachment"),
    ],
)
def test_hostile_names_are_neutralised(name: str, expected: str) -> None:
    assert safe_display_name(name) == expected


@pytest.mark.rule("R14")
def test_long_names_are_cut_to_120_characters_keeping_the_extension() -> None:
    cleaned = safe_display_name("x" * 300 + ".pdf")
    assert len(cleaned) == 120
    assert cleaned.endswith(".pdf")
    assert len(safe_display_name("y" * 300)) == 120


@pytest.mark.rule("R14")
def test_a_hostile_name_alone_never_refuses_a_good_file() -> None:
    judged = judge_attachment(_image("JPEG"), "../../<script>\r\n" + "z" * 300, 1)
    assert judged.kind == "JPEG"
    assert "/" not in judged.display_name
    assert "<" not in judged.display_name
    assert "\n" not in judged.display_name
    assert len(judged.display_name) <= 120
