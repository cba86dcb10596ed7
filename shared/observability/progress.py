"""The progress bar of a projection rebuild: events done of the total, events per second,
time left. Drawn with tqdm on stderr, and only when stderr is a terminal, so a rebuild run
by a script or a deploy job logs its JSON lines and nothing else."""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Callable, Iterator
from typing import TextIO

from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm


@contextlib.contextmanager
def progress_bar(
    label: str, total: int, *, stream: TextIO | None = None, force: bool = False
) -> Iterator[Callable[[int], None]]:
    """A bar of `total` events; call what it yields with the count of each applied batch.

    `force` draws it even when the stream is not a terminal (tests)."""
    # A terminal that reports no size (0 by 0) would get an empty bar: take 80 by 24 then.
    size = shutil.get_terminal_size()
    # Log lines written meanwhile go above the bar instead of through it.
    with (
        logging_redirect_tqdm(),
        tqdm(
            total=total,
            desc=label,
            unit=" events",
            file=stream or sys.stderr,
            disable=False if force else None,  # None: only on a terminal
            ncols=size.columns,
            nrows=size.lines,
            mininterval=0.2,
        ) as bar,
    ):

        def advance(count: int) -> None:
            bar.update(count)

        yield advance
