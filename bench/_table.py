"""What the issue-15 bench scripts share: rounds and their spread, units, a text table.

Not a benchmark itself (``run.py`` runs ``bench_*.py`` only). The scripts import it
as a sibling module, which works when they run as ``python bench/bench_x.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
from collections.abc import Iterable, Sequence
from typing import Callable, NamedTuple

OURS = "localserver"


class Spread(NamedTuple):
    """The median of the rounds' figures, and their lowest and highest."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Spread:
        figures = list(values)
        if not figures:
            raise ValueError("no figures to summarise")
        return cls(statistics.median(figures), min(figures), max(figures))

    def text(self, show: Callable[[float], str], rounds: bool = True) -> str:
        """``"45 % [41-48 %]"``: the median, then the range when there are several rounds."""
        if not rounds or self.low == self.high:
            return show(self.median)
        low, high = show(self.low), show(self.high)
        unit = ""
        if " " in low and low.split(" ", 1)[1] == high.split(" ", 1)[1]:
            low, unit = low.split(" ", 1)[0], " " + high.split(" ", 1)[1]
            high = high.split(" ", 1)[0]
        return f"{show(self.median)} [{low}-{high}{unit}]"


def seconds(value: float) -> str:
    """A duration in the unit that suits it: ``"38 µs"``, ``"1.25 ms"``, ``"2.10 s"``."""
    if abs(value) < 1e-3:
        return f"{value * 1e6:.1f} µs" if abs(value) < 1e-4 else f"{value * 1e6:.0f} µs"
    if abs(value) < 1:
        return f"{value * 1e3:.2f} ms"
    return f"{value:.2f} s"


def milliseconds(value: float) -> str:
    """A duration always in milliseconds (for columns that compare them)."""
    value *= 1e3
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2 if abs(value) >= 1 else 3
    return f"{value:.{digits}f} ms"


def rate(value: float) -> str:
    return f"{value:,.0f} req/s"


def percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def times(value: float) -> str:
    return f"{value:.2f}x" if abs(value) >= 0.1 else f"{value:.2g}x"


def kib(value: float) -> str:
    return f"{value / 1024:.2f} KiB"


def verdict(passed: bool | None) -> str:
    return {True: "PASS", False: "MISS", None: "-"}[passed]


def render(
    header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1, tail: int = 2
) -> str:
    """A plain table: the first *left* columns and the last *tail* left-aligned."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    last = len(header) - tail

    def line(cells: Sequence[str]) -> str:
        parts = [
            str(cell).ljust(width) if i < left or i >= last else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths))
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def machine(packages: Sequence[str]) -> str:
    """``"Python 3.11.7, 2 CPUs; localserver 0.1.0, ..."`` for the title line."""
    from importlib import metadata

    versions = []
    for name in packages:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    return f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; " + ", ".join(versions)


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0


def busy_warning(load: float) -> str:
    """A warning when other processes competed for the CPUs, or ''."""
    cpus = os.cpu_count() or 1
    if load > cpus * 0.75:
        return (
            f"warning: load average {load:.1f} on {cpus} CPUs before the run: other "
            "processes competed for the CPUs, so the figures are noisy (see the ranges)"
        )
    return ""


def log(script: str, message: str) -> None:
    print(f"[{script}] {message}", file=sys.stderr, flush=True)
