"""DTrace's aggregating functions and the way ``dtrace`` prints them at exit.

``Aggregation(func, *params)`` keeps one value per key tuple, as ``@[key, ...] = func(value)`` does:

========================  ====================================================================================
``count()``               number of firings
``sum(x)``, ``min(x)``,   the sum, least and greatest value; ``avg`` the mean truncated to an integer, as
``max(x)``, ``avg(x)``    DTrace prints it
``quantize(x)``           power-of-two histogram: bucket 0, then 1, 2, 4, ... (a value goes in the largest power
                          of two not above it; negatives mirror this)
``lquantize(x, low,       linear histogram: ``< low``, then ``low``, ``low+step``, ... up to ``>= high``
high[, step])``           (step 1 if omitted, as in D)
========================  ====================================================================================

``format()`` is the text ``dtrace`` prints (libdtrace's ``dt_print_quantize`` / ``dt_print_lquantize``): keys
sorted by value ascending; a histogram's rows run from one bucket below the first non-empty bucket to one
above the last, each ``%16d |`` then 40 columns of ``@`` in proportion to the bucket's share of the key's
total, then the count. Trailing blanks, which dtrace pads with, are stripped.
"""
from __future__ import annotations

from collections import Counter

from ..errors import TcpsimError

FUNCTIONS = ("count", "sum", "avg", "min", "max", "quantize", "lquantize")
_BAR = 40
_HEADER = "%16s %41s %-9s" % ("value", "------------- Distribution -------------", "count")


def _pow2_index(v: int) -> int:
    """quantize's bucket index: 0 for 0, k+1 for [2**k, 2**(k+1)), negative indices for negative values."""
    if v == 0:
        return 0
    i = abs(v).bit_length()
    return i if v > 0 else -i


def _pow2_value(i: int) -> int:
    if i == 0:
        return 0
    return 1 << (i - 1) if i > 0 else -(1 << (-i - 1))


class Aggregation:
    """One DTrace aggregation: ``add(value, key)`` per firing; ``format()`` prints it; ``data()`` is plain data."""

    def __init__(self, func: str = "count", *params: int):
        if func not in FUNCTIONS:
            raise TcpsimError(f"aggregating function {func!r}; allowed: {', '.join(FUNCTIONS)}")
        if func == "lquantize":
            if len(params) == 2:
                params = (*params, 1)  # D's default step
            if len(params) != 3 or not all(isinstance(p, int) for p in params):
                raise TcpsimError(f"lquantize: expected integer low, high[, step], got {params}")
            low, high, step = params
            if step <= 0 or high <= low or (high - low) % step:
                raise TcpsimError(f"lquantize: low {low}, high {high}, step {step}; allowed: step > 0, high > low "
                                  "and high - low a multiple of step")
        elif params:
            raise TcpsimError(f"{func}() takes no parameters besides its value, got {params}")
        self.func = func
        self.params = params
        self.values: dict[tuple, object] = {}

    # --- accumulation ------------------------------------------------------------------------------------------
    def _bucket(self, v: int) -> int:
        if self.func == "quantize":
            return _pow2_index(v)
        low, high, step = self.params
        if v < low:
            return 0
        if v >= high:
            return (high - low) // step + 1
        return (v - low) // step + 1

    def add(self, value=1, key: tuple = ()) -> None:
        """Aggregate one firing's ``value`` (ignored by count) under ``key``."""
        key = tuple(key)
        f = self.func
        if f == "count":
            self.values[key] = self.values.get(key, 0) + 1
            return
        v = int(value)  # D aggregates 64-bit integers
        if f in ("quantize", "lquantize"):
            self.values.setdefault(key, Counter())[self._bucket(v)] += 1
        elif f == "sum":
            self.values[key] = self.values.get(key, 0) + v
        elif f == "avg":
            s, n = self.values.get(key, (0, 0))
            self.values[key] = (s + v, n + 1)
        elif f == "min":
            self.values[key] = min(self.values.get(key, v), v)
        else:
            self.values[key] = max(self.values.get(key, v), v)

    # --- results -----------------------------------------------------------------------------------------------
    def _scalar(self, key):
        v = self.values[key]
        if self.func == "avg":
            s, n = v
            return abs(s) // n * (1 if s >= 0 else -1)  # truncated toward zero, in integers, as dtrace does
        return v

    def _bucket_label(self, i: int) -> str:
        if self.func == "quantize":
            return str(_pow2_value(i))
        low, high, step = self.params
        if i == 0:
            return f"< {low}"
        if i == (high - low) // step + 1:
            return f">= {high}"
        return str(low + (i - 1) * step)

    def _rows(self, key) -> list[tuple[int, int]]:
        """(bucket index, count) from one below the first non-empty bucket to one above the last."""
        buckets = self.values[key]
        used = [i for i, n in buckets.items() if n]
        lo, hi = min(used) - 1, max(used) + 1
        if self.func == "lquantize":
            lo, hi = max(lo, 0), min(hi, (self.params[1] - self.params[0]) // self.params[2] + 1)
        return [(i, buckets.get(i, 0)) for i in range(lo, hi + 1)]

    def _order(self):
        def weight(key):
            v = self.values[key]
            return sum(v.values()) if isinstance(v, Counter) else self._scalar(key)
        return sorted(self.values, key=lambda k: (weight(k), k))

    def data(self) -> list[dict]:
        """``[{"key": [...], FUNC: value}]`` in print order; a histogram's value is ``[[bucket, count], ...]``
        (bucket as printed: its lower bound, ``"< low"`` or ``">= high"``)."""
        out = []
        for key in self._order():
            if self.func in ("quantize", "lquantize"):
                value = [[self._bucket_label(i) if self.func == "lquantize" else _pow2_value(i), n]
                         for i, n in self._rows(key)]
            else:
                value = self._scalar(key)
            out.append({"key": list(key), self.func: value})
        return out

    def format(self) -> str:
        if not self.values:
            return "  (no firings)"
        lines = []
        for key in self._order():
            if self.func not in ("quantize", "lquantize"):
                lines.append(f"  {'  '.join(map(str, key)):<70} {self._scalar(key):>10}")
                continue
            lines.append(f"  {'  '.join(map(str, key))}".rstrip())
            lines.append(_HEADER.rstrip())
            total = sum(self.values[key].values())
            for i, n in self._rows(key):
                depth = int(n * _BAR / total + 0.5)
                lines.append((f"{self._bucket_label(i):>16} |" + "@" * depth + " " * (_BAR - depth)
                              + f" {n}").rstrip())
            lines.append("")
        return "\n".join(lines).rstrip("\n")
