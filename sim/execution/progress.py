"""A progress bar on stderr (replications done, rate, time left), only when stderr is a terminal.

A study whose size is not known in advance (an optimiser's search) shows a counter and a rate instead,
until ``set_total`` gives the bar its end.
"""

from __future__ import annotations

import sys

BAR = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]"
COUNTER = "{desc}: {n_fmt} [{elapsed}, {rate_fmt}]"


class Progress:
    """``advance(n)`` after each batch; ``skip(n)`` for replications restored from a checkpoint.

    Shows nothing when *enabled* is false or stderr is not a terminal, so
    piped and ``--format json`` output stay clean.
    """

    def __init__(self, total: int | None, enabled: bool = True, desc: str = "replications", stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.bar = None
        self.total = total
        if enabled and _isatty(self.stream):
            from tqdm import tqdm

            width = _columns(self.stream)
            self.bar = tqdm(
                total=total,
                desc=desc,
                unit="rep",
                file=self.stream,
                dynamic_ncols=width > 0,
                ncols=None if width > 0 else 100,
                smoothing=0.1,
                mininterval=0.5,
                bar_format=BAR if total is not None else COUNTER,
            )

    def set_total(self, total: int) -> None:
        """Give the bar its (new) end: a study that grows (``--precision``) or whose size became known."""
        self.total = total
        if self.bar is not None:
            self.bar.total = total
            self.bar.bar_format = BAR
            self.bar.refresh()

    def skip(self, n: int) -> None:
        """Count replications already done (restored) without letting them inflate the rate."""
        if self.bar is not None and n:
            self.bar.n += n
            self.bar.last_print_n = self.bar.n
            self.bar.initial += n
            self.bar.refresh()

    def advance(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _columns(stream) -> int:
    import os

    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return 0
