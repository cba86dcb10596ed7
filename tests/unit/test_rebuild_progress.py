"""The rebuild's progress bar shows events done of the total and their rate, and stays
silent when its stream is not a terminal (logs stay one JSON object per line)."""

from __future__ import annotations

import io

from shared.observability.progress import progress_bar


def test_the_bar_counts_events_of_the_total_with_a_rate() -> None:
    stream = io.StringIO()
    with progress_bar("orders order_details", 3000, stream=stream, force=True) as advance:
        advance(1000)
        advance(2000)
    drawn = stream.getvalue()
    assert "orders order_details" in drawn
    assert "3000/3000" in drawn
    assert "events/s" in drawn


def test_the_bar_is_silent_when_the_stream_is_not_a_terminal() -> None:
    stream = io.StringIO()
    with progress_bar("orders order_details", 10, stream=stream) as advance:
        advance(10)
    assert stream.getvalue() == ""
