"""bench/bench_smtp.py's memory and waiting parts work (no timings checked)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_smtp.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_bench_smtp", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_memory_per_mail(bench: ModuleType) -> None:
    """Reading headers keeps them: the second figure is the larger."""
    arrived, read = bench.memory_per_mail(bench.OURS, 5)
    assert 0 < arrived < read


def test_waiting_finds_every_mail(bench: ModuleType) -> None:
    """The waiting figure runs with and without a waiter."""
    plain, waited = bench.bench_waiting(rounds=1, count=5)
    assert len(plain) == len(waited) == 1


def test_spread_text(bench: ModuleType) -> None:
    """A spread reads as median [lowest-highest] unit."""
    assert bench.Spread.of([0.002, 0.001, 0.003]).text("ms", 1000) == "2.0 [1.0-3.0] ms"
