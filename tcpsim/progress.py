"""Progress of long commands: a callback the library calls, and the tqdm bar the command line draws with it.

The library's loops (sweep.run_points, reproduce, sensitivity, calibrate) take ``progress``, a callable
``progress(done, total)`` called once before the first run (done = 0) and after each finished run; ``total``
is None when the number of runs is not known in advance (a calibration stops when it converges). Anything
can listen -- a notebook widget, a log line, a test counting runs; ``Progress`` is the command line's.
"""
from __future__ import annotations


class Progress:
    """Remembers the last (done, total) and, when drawing, shows a tqdm bar with rate and ETA on ``stream``."""

    def __init__(self, stream=None, unit: str = "run", draw: bool = False):
        self.done, self.total = 0, None
        self.stream, self.unit, self.draw = stream, unit, draw
        self._bar = None

    def __call__(self, done: int, total: int | None) -> None:
        self.done, self.total = done, total
        if not self.draw:
            return
        if self._bar is None:
            from tqdm import tqdm

            # leave=False: the finished bar is erased, so the table that follows starts on a clean line;
            # miniters=1, mininterval=0: draw at every finished run (runs are seconds apart, drawing is cheap)
            self._bar = tqdm(total=total, unit=self.unit, file=self.stream, leave=False, dynamic_ncols=True,
                             miniters=1, mininterval=0)
        if total != self._bar.total:
            self._bar.total = total
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def for_terminal(stream, quiet: bool, unit: str = "run") -> Progress:
    """The command line's progress: drawn only on a terminal (not into a file or a pipe) and not with --quiet."""
    isatty = getattr(stream, "isatty", None)
    return Progress(stream, unit, draw=not quiet and bool(isatty and isatty()))
