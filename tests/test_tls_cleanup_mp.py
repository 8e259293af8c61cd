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
