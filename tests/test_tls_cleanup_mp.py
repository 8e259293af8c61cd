"""TLS files made in a multiprocessing worker are removed when the worker ends."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import multiprocessing, os
    from localserver import HTTPSServer

    def bundle_in_worker(_):
        with HTTPSServer() as server:
            return os.path.dirname(server.ca_bundle)

    if __name__ == "__main__":
        with multiprocessing.get_context("fork").Pool(2) as pool:
            directories = pool.map(bundle_in_worker, range(2))
            pool.close()
            pool.join()
        print("\\n".join(directories))
    """
)


def test_fork_pool_workers_remove_their_files() -> None:
    """A worker that made a CA leaves no directory behind (os._exit skips atexit)."""
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True
    )
    directories = result.stdout.split()
    assert len(directories) >= 1
    for directory in directories:
        assert os.path.basename(directory).startswith("localserver-tls-")
        assert not os.path.exists(directory), directory


TERMINATED = textwrap.dedent(
    """
    import multiprocessing, os
    from localserver import HTTPSServer

    def serve_in_worker(_):
        with HTTPSServer() as server:
            return os.path.dirname(server.ca_bundle)

    if __name__ == "__main__":
        # The with-block ends with terminate(): workers get SIGTERM, no atexit.
        with multiprocessing.get_context("fork").Pool(2) as pool:
            directories = pool.map(serve_in_worker, range(8))
        print("\\n".join(sorted(set(directories))))
    """
)

NEXT_RUN = textwrap.dedent(
    """
    from localserver import HTTPSServer

    with HTTPSServer():
        pass
    """
)


def test_terminated_pool_leaves_no_key_and_the_next_run_cleans_up() -> None:
    """Workers ended by terminate() leave no private key; the next run removes their folders."""
    result = subprocess.run(
        [sys.executable, "-c", TERMINATED], capture_output=True, text=True, timeout=60, check=True
    )
    directories = result.stdout.split()
    assert directories
    for directory in directories:
        if not os.path.exists(directory):
            continue
        for name in os.listdir(directory):
            with open(os.path.join(directory, name), "rb") as file:
                assert b"PRIVATE KEY" not in file.read(), f"a key was left in {directory}/{name}"
    subprocess.run([sys.executable, "-c", NEXT_RUN], timeout=60, check=True)
    assert [d for d in directories if os.path.exists(d)] == []
