"""Uploaded images (inspection photos, problem pictures, message attachments) are judged by
content: one that is also HTML, script or SVG (a polyglot) is refused wherever it hides the
markup a browser could run, and a real photo is never refused for what its pixels spell."""

from __future__ import annotations

import pytest

from services.messaging.domain.attachments import judge_attachments
from shared.domain_errors import ValidationError
from shared.uploads import judge_image
from tests.support.images import (
    MARKUP,
    gif,
    jpeg_with_comment,
    png,
    png_whose_pixels_spell,
    png_with_text,
)

PHOTOS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})


@pytest.mark.parametrize(
    "polyglot",
    [jpeg_with_comment(), png_with_text(), png() + MARKUP, gif() + b"<svg onload=alert(1)>"],
    ids=["jpeg-comment", "png-text-chunk", "png-then-html", "gif-then-svg"],
)
def test_an_image_that_is_also_markup_is_refused(polyglot: bytes) -> None:
    with pytest.raises(ValidationError, match="markup"):
        judge_image(polyglot, PHOTOS, name="photo 1")


def test_pixels_that_spell_markup_in_the_middle_of_a_photo_are_pixels() -> None:
    photo = png_whose_pixels_spell(b"<svg<script<html")
    assert b"<svg<script<html" in photo[2048:-2048]
    assert judge_image(photo, PHOTOS).media_type == "image/png"


def test_a_message_attachment_is_not_refused_for_what_its_pixels_spell() -> None:
    photo = png_whose_pixels_spell(b"<svg")
    [judged] = judge_attachments([("scan.png", photo)])
    assert judged.media_type == "image/png"
