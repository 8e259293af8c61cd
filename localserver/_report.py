"""The text of every failure: what arrived, what was expected, side by side.

Reports fit in 100 columns. The closest candidates come first, ranked by how many
of their fields agree; a differing field is marked ``>>`` and followed by why.
When nothing arrived at all, the report says so and names the usual causes, among
them the mistakes clients made before HTTP began (:func:`describe_mistake`).
"""

from __future__ import annotations

import heapq
import ipaddress
import os
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from werkzeug.wrappers import Request

from ._fields import FieldResult, describe_body
from ._matching import RequestMatcher
from ._mistakes import Mistake, describe_mistake

__all__ = [
    "WIDTH",
    "Situation",
    "closest_expectations",
    "count_report",
    "field_table",
    "format_request",
    "listing",
    "miss_report",
    "nothing_arrived",
    "request_line",
    "unmet_report",
]

WIDTH = 100
_FIELD = 14
_CELL = 40
_CELL_LINES = 3
_SHOWN = 3


class Situation(NamedTuple):
    """What a report needs to know about the server."""

    url: str
    host: str
    port: int
    running: bool
    mistakes: Sequence[Mistake]


def _cut(text: str, width: int) -> str:
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= width else text[: width - 3] + "..."


def _cell(text: str) -> list[str]:
    flat = text.replace("\r", "\\r").replace("\n", "\\n") or "''"
    lines = textwrap.wrap(flat, _CELL, break_long_words=True, replace_whitespace=False) or [""]
    if len(lines) > _CELL_LINES:
        stated = re.search(r" \(\d+ bytes\)$", flat)
        note = stated.group(0) if stated else f" ({len(flat)} chars)"
        lines = lines[:_CELL_LINES]
        lines[-1] = lines[-1][: _CELL - len(note) - 3] + "..." + note
    return lines


def field_table(rows: Iterable[FieldResult]) -> list[str]:
    """Rows of field / expected / received; differing ones marked ``>>`` with the reason."""
    lines = [f"   {'field':<{_FIELD}} {'expected':<{_CELL}} received"]
    for row in rows:
        left, right = _cell(row.expected), _cell(row.received)
        mark = "   " if row.ok else ">> "
        for index in range(max(len(left), len(right))):
            name = _cut(row.field, _FIELD) if index == 0 else ""
            a = left[index] if index < len(left) else ""
            b = right[index] if index < len(right) else ""
            lead = mark if index == 0 else "   "
            lines.append(f"{lead}{name:<{_FIELD}} {a:<{_CELL}} {b}".rstrip())
        if not row.ok and row.reason:
            lines.extend(
                textwrap.wrap(
                    row.reason,
                    WIDTH - 1,
                    initial_indent="   ^ ",
                    subsequent_indent="     ",
                )
            )
    return lines


def format_request(request: Request, indent: str = "  ") -> list[str]:
    """The request line, headers and body, each cut to fit."""
    query = request.query_string.decode("latin-1")
    target = request.path + (f"?{query}" if query else "")
    lines = [_cut(f"{indent}{request.method} {target}", WIDTH)]
    lines.extend(_cut(f"{indent}{name}: {value}", WIDTH) for name, value in request.headers.items())
    lines.append(_cut(f"{indent}body: {describe_body(request.get_data(), 60)}", WIDTH))
    return lines


def request_line(request: Request) -> str:
    """``METHOD /path?query`` of *request*, cut to fit."""
    return format_request(request, "")[0]


def listing(title: str, requests: Sequence[Request], limit: int = 10) -> str:
    """*title*, then each request (line, headers, body), at most *limit* of them."""
    lines = ["", title]
    for request in requests[:limit]:
        lines += format_request(request, "  ")
    if len(requests) > limit:
        lines.append(f"  ... and {len(requests) - limit} more")
    return "\n".join(lines) + "\n"


def _score(rows: Sequence[FieldResult]) -> tuple[int, int]:
    agree = sum(1 for r in rows if r.ok)
    return (-agree, len(rows) - agree)


# Expectations compared field by field for a report, at most: the rest are ranked
# by a quick look at path and method only, so a miss costs the same with 10 or
# 10,000 expectations registered.
_COMPARED = 24


def _common_prefix(a: str, b: str) -> int:
    """The length of the longest common prefix of *a* and *b* (binary search on slices)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _rough_distance(exp: Any, path: str, method: str) -> tuple[int, int]:
    """How far *exp* is from a request, from its path and method alone (lower is nearer)."""
    matcher = exp.matcher
    exact = matcher.path.exact
    if exact:
        distance = 0 if exact == path else 10_000 - _common_prefix(exact, path)
    elif exact == "" or matcher.path.adapter is None:
        distance = 5_000  # any path, a regex, a custom matcher: no quick verdict
    else:
        distance = 0 if matcher.path.params(path) is not None else 5_000
    return distance, int(matcher.method is not None and matcher.method != method)


def closest_expectations(
    request: Request,
    expectations: Sequence[Any],
    limit: int = _SHOWN,
    states: Mapping[str, str] | None = None,
) -> list[tuple[Any, list[FieldResult]]]:
    """The expectations nearest to *request*: most agreeing fields first, then fewest differing."""
    if len(expectations) > _COMPARED:
        path, method = request.path, request.method
        expectations = heapq.nsmallest(
            _COMPARED, expectations, key=lambda exp: _rough_distance(exp, path, method)
        )
    scored = [(exp, exp.matcher.explain(request)) for exp in expectations]
    for exp, rows in scored:
        if exp.scenario is not None:  # a row more, against *states* (those not "started")
            rows.append(exp.scenario.explain(states or {}))
    scored = [(exp, rows) for exp, rows in scored if rows]
    scored.sort(key=lambda pair: _score(pair[1]))
    return scored[:limit]


def _block(number: int, title: str, rows: list[FieldResult]) -> list[str]:
    agree = sum(1 for r in rows if r.ok)
    tail = f"  [{agree} of {len(rows)} fields agree]"
    head = _cut(f"{number}. {title}", WIDTH - len(tail)) + tail
    return ["", head, *field_table(rows)]


def miss_report(
    request: Request,
    expectations: Sequence[Any],
    status: int,
    reason: str = "",
    states: Mapping[str, str] | None = None,
) -> str:
    """Why *request* got no expectation's answer, with the closest ones compared."""
    lines = [
        reason or f"localserver: no expectation matched this request (answered {status}):",
        *format_request(request),
    ]
    if not expectations:
        lines += [
            "",
            "No expectations are registered: add one with expect_request(...), or set a default",
            "response for every request with serve_content(...).",
        ]
        return "\n".join(lines) + "\n"
    near = closest_expectations(request, expectations, states=states)
    lines += ["", f"Closest expectations ({len(near)} of {len(expectations)}), best first:"]
    for number, (exp, rows) in enumerate(near, 1):
        lines += _block(number, exp.describe(), rows)
    return "\n".join(lines) + "\n"


def count_report(
    matcher: RequestMatcher,
    expected: int | None,
    found: int,
    requests: Sequence[Request],
    situation: Situation,
    timeout: float | None = None,
) -> str:
    """Why ``assert_request_made`` failed: the count, then the nearest requests received.

    *expected* None means "at least one".
    """
    waited = f" after waiting {timeout:g} s" if timeout else ""
    wanted = "at least 1 request" if expected is None else f"{expected} request(s)"
    what = f" matching {matcher.describe()}" if matcher.fields else ""
    lines = [f"expected {wanted}{what}; found {found}{waited}."]
    if not requests:
        lines += ["", *nothing_arrived(situation)]
        return "\n".join(lines) + "\n"
    scored = [(req, matcher.explain(req)) for req in requests]
    scored.sort(key=lambda pair: _score(pair[1]))
    shown = scored[:_SHOWN]
    lines += ["", f"Closest requests received ({len(shown)} of {len(requests)}), best first:"]
    for number, (req, rows) in enumerate(shown, 1):
        query = req.query_string.decode("latin-1")
        title = f"{req.method} {req.path}{'?' + query if query else ''}"
        lines += _block(number, title, rows)
    return "\n".join(lines) + "\n"


def unmet_report(
    pending: Sequence[Any], requests: Sequence[Request], situation: Situation, what: str
) -> str:
    """Expectations whose lifetime is not used up, and what arrived instead."""
    lines = [f"{what}: {len(pending)} expectation(s) not used up:"]
    for exp in pending:
        lines.append(_cut(f"  - {exp.describe()}: used {exp.call_count} of {exp.times}", WIDTH))
    if not requests:
        lines += ["", *nothing_arrived(situation)]
    else:
        lines += ["", f"{len(requests)} request(s) arrived; the last ones:"]
        for req in list(requests)[-_SHOWN:]:
            lines += format_request(req, "    ")[:1]
    return "\n".join(lines) + "\n"


def nothing_arrived(situation: Situation) -> list[str]:
    """Say that no request arrived, and name the likely causes found."""
    lines = [f"The server at {situation.url} received no request at all. Likely causes:"]
    if not situation.running:
        lines.append("- The server is not running: call start() (or use it as a context manager).")
    seen: dict[str, int] = {}
    for mistake in situation.mistakes:
        kind = mistake.kind
        seen[kind] = seen.get(kind, 0) + 1
        if seen[kind] == 1:
            lines.extend(_protocol_hint(mistake, situation))
    for kind, times in seen.items():
        if times > 1:
            lines.append(f"  ({kind}: {times} connections in all)")
    lines.extend(proxy_hints(situation.host, os.environ))
    lines += [
        "- A client sent the request elsewhere (another port, an old URL): build URLs with",
        f"  url_for(...); this server is {situation.url}.",
    ]
    wrapped = []
    for line in lines:
        wrapped += textwrap.wrap(line, WIDTH, subsequent_indent="  ") or [""]
    return wrapped


def _protocol_hint(mistake: Mistake, situation: Situation) -> list[str]:
    kind, peer = mistake.kind, mistake.peer
    where = f" from {peer[0]}:{peer[1]}" if isinstance(peer, tuple) and len(peer) >= 2 else ""
    if kind == "tls-to-plain":
        return [
            f"- A client spoke TLS (https://) to this plain HTTP port{where}: use "
            f"{situation.url.replace('https://', 'http://')}, or an HTTPSServer.",
        ]
    if kind == "plain-to-tls":
        return [
            f"- A client sent plain HTTP (http://) to this TLS port{where}: use "
            f"{situation.url.replace('http://', 'https://')}.",
        ]
    return [f"- {describe_mistake(mistake, situation.url)}."]


def proxy_hints(host: str, environ: Mapping[str, str]) -> list[str]:
    """A line for each proxy variable that would send requests for *host* to a proxy."""
    proxies = [
        name
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
        if environ.get(name) or environ.get(name.lower())
    ]
    if not proxies:
        return []
    no_proxy = environ.get("NO_PROXY") or environ.get("no_proxy") or ""
    if bypasses_proxy(host, no_proxy):
        return []
    names = "/".join(proxies)
    shown = f"NO_PROXY is {no_proxy!r}" if no_proxy else "NO_PROXY is not set"
    return [
        f"- {names} is set and {shown}: clients such as requests send {host} through",
        "  the proxy. Set NO_PROXY=127.0.0.1,localhost,::1 (or give the client no proxy).",
    ]


def bypasses_proxy(host: str, no_proxy: str) -> bool:
    """Whether a ``NO_PROXY`` value covers *host* (names, suffixes, ``*``, CIDR ranges)."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    for entry in no_proxy.replace(" ", "").split(","):
        entry = entry.strip().lstrip(".")
        if not entry:
            continue
        if entry == "*":
            return True
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry.strip("[]"), strict=False):
                    return True
            except ValueError:
                pass
            continue
        bare = host.lower()
        entry = entry.lower().split(":")[0]
        if bare == entry or bare.endswith("." + entry):
            return True
    return False
