"""README's first command: start an HTTP server, send it a request, show what it saw."""

from __future__ import annotations

import json
import urllib.request

from localserver import HTTPServer


def main() -> None:
    with HTTPServer() as server:
        server.serve_content(
            json.dumps({"greeting": "hello"}),
            code=200,
            headers={"Content-Type": "application/json"},
        )
        print(f"HTTP server listening on {server.url}")
        request = urllib.request.Request(
            server.url_for("/api/greet?lang=en"), data=b'{"name": "Ada"}', method="POST"
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            print(f"client got {response.status}: {response.read().decode()}")
        for seen in server.requests:
            print(f"server saw {seen.method} {seen.full_path} body={seen.get_data()!r}")
    print("server stopped")


if __name__ == "__main__":
    main()
