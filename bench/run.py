"""Run the benchmarks against the peers, in an environment of their own.

Usage::

    python bench/run.py                # every bench/bench_*.py
    python bench/run.py http smtp      # bench_http.py and bench_smtp.py only
    python bench/run.py --refresh      # reinstall, upgrading the peers first
    python bench/run.py http -- --quick   # arguments after -- go to each script

The first run creates ``bench/.venv`` with ``python -m venv`` (using the Python that
runs this script), installs this repository's localserver in editable mode and
what ``bench/requirements.txt`` lists (the peers pytest-localserver and
pytest-httpserver, latest from PyPI, and the clients). Later runs reuse it while
setup.cfg, setup.py, requirements.txt and the Python are unchanged and the peers
were installed less than a week ago.

Each ``bench_<topic>.py`` is a standalone script that prints its own table; they run
one after the other, each in its own process, with their output streamed as it comes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV = BENCH / ".venv"
STAMP = VENV / "localserver-bench.json"
REQUIREMENTS = BENCH / "requirements.txt"
# Re-resolve "latest from PyPI" after this long.
MAX_AGE = 7 * 24 * 3600


def venv_python(venv: Path = VENV) -> Path:
    """Path of the interpreter inside *venv*."""
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def available_topics(bench: Path = BENCH) -> dict[str, Path]:
    """Map each topic (``http`` for ``bench_http.py``) to its script, sorted."""
    scripts = sorted(bench.glob("bench_*.py"))
    return {path.stem[len("bench_") :]: path for path in scripts}


def select_scripts(topics: list[str], bench: Path = BENCH) -> list[Path]:
    """The scripts to run for *topics* (all of them when empty).

    Raises:
        SystemExit: A topic has no script; the message lists the topics there are.
    """
    known = available_topics(bench)
    if not topics:
        return list(known.values())
    unknown = [t for t in topics if t not in known]
    if unknown:
        raise SystemExit(
            f"run.py: no benchmark for {', '.join(map(repr, unknown))}; "
            f"topics: {', '.join(known) or '(none)'}"
        )
    return [known[t] for t in dict.fromkeys(topics)]


def environment_key() -> str:
    """A digest of what the environment is built from."""
    digest = hashlib.sha256(sys.version.encode())
    for path in (ROOT / "setup.cfg", ROOT / "setup.py", REQUIREMENTS):
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def read_stamp() -> dict:
    try:
        stamp = json.loads(STAMP.read_text())
    except (OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) else {}


def environment_is_current(key: str) -> bool:
    """Whether bench/.venv exists, works and was built from *key* recently."""
    if not venv_python().exists():
        return False
    stamp = read_stamp()
    return stamp.get("key") == key and time.time() - float(stamp.get("built", 0)) < MAX_AGE


def build_environment(refresh: bool) -> Path:
    """Create or update bench/.venv; return its interpreter."""
    key = environment_key()
    python = venv_python()
    if not refresh and environment_is_current(key):
        print(f"run.py: reusing {VENV} (python bench/run.py --refresh rebuilds it)", flush=True)
        return python
    stamp = read_stamp()
    if not python.exists() or stamp.get("python") != sys.version:
        print(f"run.py: creating {VENV} with {sys.executable}", flush=True)
        try:
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        except subprocess.CalledProcessError as exc:
            raise SystemExit(
                f"run.py: 'python -m venv' failed ({exc}); on Debian/Ubuntu install the "
                "python3-venv package, or run this script with another Python"
            ) from exc
    print("run.py: installing localserver (editable) and the peers", flush=True)
    pip = [str(python), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run(
        [*pip, "install", "--quiet", "--upgrade", "-e", str(ROOT), "-r", str(REQUIREMENTS)],
        check=True,
    )
    STAMP.write_text(json.dumps({"key": key, "built": time.time(), "python": sys.version}))
    versions = subprocess.run(
        [*pip, "list", "--format=freeze"], check=True, capture_output=True, text=True
    ).stdout.split()
    wanted = ("localserver", "pytest-localserver", "pytest_httpserver", "pytest-httpserver")
    print("run.py: " + ", ".join(v for v in versions if v.split("==")[0] in wanted), flush=True)
    return python


def run_scripts(python: Path, scripts: list[Path], script_args: list[str]) -> int:
    """Run each script in its own process, streaming its output; return the failures."""
    env = dict(os.environ)
    # Measure the repository's code as installed in the venv, whatever the caller's path.
    env.pop("PYTHONPATH", None)
    env["PYTHONUNBUFFERED"] = "1"
    failures = 0
    results = []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        started = time.monotonic()
        code = subprocess.run(
            [str(python), str(script), *script_args], env=env, cwd=ROOT
        ).returncode
        elapsed = time.monotonic() - started
        results.append((script.name, code, elapsed))
        failures += code != 0
    print("\n=== summary ===")
    for name, code, elapsed in results:
        state = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"{name:<24} {state:<18} {elapsed:6.1f} s")
    return failures


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    script_args: list[str] = []
    if "--" in args:
        split = args.index("--")
        args, script_args = args[:split], args[split + 1 :]
    parser = argparse.ArgumentParser(
        prog="python bench/run.py",
        description="Benchmark localserver against pytest-localserver and pytest-httpserver.",
        epilog="Arguments after -- are passed to every script.",
    )
    parser.add_argument("topics", nargs="*", help="e.g. http smtp (default: all)")
    parser.add_argument("--refresh", action="store_true", help="reinstall, upgrading the peers")
    parser.add_argument("--list", action="store_true", help="list the topics and exit")
    options = parser.parse_args(args)
    if options.list:
        print("\n".join(available_topics()))
        return 0
    scripts = select_scripts(options.topics)
    if not scripts:
        print("run.py: no bench/bench_*.py script found", file=sys.stderr)
        return 1
    python = build_environment(options.refresh)
    return 1 if run_scripts(python, scripts, script_args) else 0


if __name__ == "__main__":
    sys.exit(main())
