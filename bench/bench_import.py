"""Import time: ``import localserver`` against the peers' imports, in fresh interpreters.

Run it through ``python bench/run.py import``, or directly with a Python that has
localserver (and the peers for their columns)::

    python bench/bench_import.py            # 5 rounds of 5 imports each (about 15 s)
    python bench/bench_import.py --quick    # 1 import each: rough figures

Each import runs in a fresh interpreter (``python -c``) that reads
``time.perf_counter()`` just before and after the import statement, so the
interpreter's own start-up is left out; the modules already imported at start-up
(``site``, ``encodings``...) are the same for everyone. What is imported is what a
user's test module imports to get an HTTP server: ``localserver`` (which brings
HTTP, HTTPS and SMTP servers), ``pytest_httpserver`` and ``pytest_localserver.http``.
The servers take turns; the figure is the median of each round's median, and the
ratio the faster peer's time over ours per round (above 1: we import faster).
Target (issue 15): <= the faster peer's, same run.

For whoever makes it faster, ``python -X importtime -c "import localserver"`` is run
once more and its report summarised: the packages localserver's import brings in
(those a bare interpreter has not imported), by their own time, largest first, with
the module of ours under which each first came in; then localserver's own slowest
modules.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
from collections import defaultdict
from typing import NamedTuple

from _table import (
    OURS,
    Spread,
    busy_warning,
    load_average,
    log,
    machine,
    milliseconds,
    render,
    times,
    verdict,
)

NAME = "bench_import"
MODULES = {
    OURS: "localserver",
    "pytest-httpserver": "pytest_httpserver",
    "pytest-localserver": "pytest_localserver.http",
}
CODE = (
    "import time; began = time.perf_counter(); import {module}; print(time.perf_counter() - began)"
)


def import_seconds(module: str) -> float:
    """Seconds ``import module`` takes in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", CODE.format(module=module)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"import {module} failed:\n{done.stderr}")
    return float(done.stdout.strip())


class Imported(NamedTuple):
    name: str
    own: float  # seconds, the module's own time
    cumulative: float  # seconds, with what it imported
    depth: int  # 0 for a module the code imported itself


def importtime(code: str) -> list[Imported]:
    """The modules ``python -X importtime -c code`` reports, in its order."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"python -X importtime -c {code!r} failed:\n{done.stderr}")
    modules = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, cumulative, name = line[len("import time:") :].split("|", 2)
        if not own.strip().isdigit():  # the header line
            continue
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        modules.append(Imported(name.strip(), int(own) / 1e6, int(cumulative) / 1e6, depth))
    return modules


def importer(modules: list[Imported], index: int, package: str) -> str:
    """The closest module of *package* that (indirectly) imported ``modules[index]``,
    and the module it imported to get there when that is of another package.

    ``-X importtime`` lists a module's imports before the module itself, one level
    deeper, so its ancestors are the later lines of ever smaller depth.
    """
    depth = modules[index].depth
    via = modules[index].name
    for later in modules[index + 1 :]:
        if later.depth < depth:
            if later.name.split(".")[0] == package:
                same = via.split(".")[0] == modules[index].name.split(".")[0]
                return later.name if same else f"{later.name}, via {via}"
            depth, via = later.depth, later.name
    return ""


class Package(NamedTuple):
    name: str
    own: float  # seconds, all its modules' own time
    modules: int
    by: str  # the module of the measured package that first brought it in


def breakdown(module: str, top: int) -> tuple[list[Package], list[Imported]]:
    """The packages that importing *module* adds to a bare interpreter, largest first,
    and the slowest of *module*'s own package's modules (by their own time)."""
    bare = {m.name for m in importtime("pass")}
    package = module.split(".")[0]
    reported = importtime(f"import {module}")
    own = sorted((m for m in reported if m.name.split(".")[0] == package), key=lambda m: -m.own)
    owns: dict[str, list[float]] = defaultdict(list)
    first: dict[str, str] = {}
    for index, imported in enumerate(reported):
        if imported.name in bare:
            continue
        name = imported.name.split(".")[0]
        owns[name].append(imported.own)
        if name not in first and name != package:
            first[name] = importer(reported, index, package)
    ranked = sorted(owns.items(), key=lambda item: -sum(item[1]))
    packages = [Package(n, sum(o), len(o), first.get(n, "")) for n, o in ranked[:top]]
    return packages, own[:top]


class Settings(NamedTuple):
    rounds: int
    per_round: int

    @classmethod
    def make(cls, quick: bool) -> Settings:
        return cls(1, 1) if quick else cls(5, 5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one short round (rough figures)")
    parser.add_argument("--top", type=int, default=12, help="packages in the breakdown")
    options = parser.parse_args(argv)
    cfg = Settings.make(options.quick)
    kinds = [OURS]
    for kind in ("pytest-httpserver", "pytest-localserver"):
        if importlib.util.find_spec(MODULES[kind].split(".")[0]):
            kinds.append(kind)
        else:
            log(NAME, f"{kind} is not installed: its column is left out")
    title = machine([OURS, "pytest-httpserver", "pytest-localserver", "werkzeug"])
    log(NAME, title)
    load = load_average()

    if not options.quick:
        for kind in kinds:  # the first import may write the bytecode caches
            import_seconds(MODULES[kind])
    rounds: dict[str, list[float]] = {kind: [] for kind in kinds}
    for number in range(cfg.rounds):
        log(NAME, f"round {number + 1} of {cfg.rounds}")
        samples: dict[str, list[float]] = {kind: [] for kind in kinds}
        for _ in range(cfg.per_round):
            for kind in kinds if number % 2 == 0 else kinds[::-1]:
                samples[kind].append(import_seconds(MODULES[kind]))
        for kind in kinds:
            rounds[kind].append(statistics.median(samples[kind]))

    several = cfg.rounds > 1
    peers = kinds[1:]
    cells = [Spread.of(rounds[kind]).text(milliseconds, several) for kind in kinds]
    ratio, passed = "n/a", None
    if peers:
        fastest = [min(rounds[p][i] for p in peers) for i in range(cfg.rounds)]
        ratios = Spread.of(f / o for f, o in zip(fastest, rounds[OURS]))
        ratio, passed = ratios.text(times, several), ratios.median >= 1
    header = ["import", *(f"{k}: {MODULES[k]}" for k in kinds), "faster peer / ours"]
    header += ["target", "result"]
    row = ["fresh interpreter", *cells, ratio, "<= faster peer", verdict(passed)]

    print()
    print(f"Import time: {title}")
    print(
        f"{cfg.rounds} round(s) of {cfg.per_round} imports per module, each in a fresh "
        "interpreter; median [lowest-highest] of the rounds' medians"
    )
    if options.quick:
        print("--quick: one short round, rough figures")
    print(render(header, [row]))
    print()
    print(
        "faster peer / ours: the faster peer's time over ours, per round; above 1: ours is faster"
    )
    print()
    print("What 'import localserver' adds to a bare interpreter (python -X importtime, one run):")
    packages, modules = breakdown("localserver", options.top)
    rows = [[p.name, milliseconds(p.own), str(p.modules), p.by] for p in packages]
    print(render(["package", "own time", "modules", "first imported under"], rows, tail=1))
    print()
    print("localserver's slowest modules to import, by their own time (the same run):")
    rows = [[m.name, milliseconds(m.own), milliseconds(m.cumulative)] for m in modules]
    print(render(["module", "own time", "with its imports"], rows, tail=0))
    warning = busy_warning(load)
    if warning:
        print(warning)
    return 0


if __name__ == "__main__":
    sys.exit(main())
