"""The fixed migration mapping: which peer name becomes which localserver name.

Everything ``migrate`` renames comes from the tables here, so the mapping the
documentation states (``docs/migrate.rst``) and the one the code applies are one.

- A module path ``pytest_httpserver[.X]`` becomes ``localserver.compat.pytest_httpserver[.X]``,
  and ``pytest_localserver[.X]`` becomes ``localserver.compat.pytest_localserver[.X]``.
- A pytest *plugin reference* (a ``-p`` value, an entry of ``pytest_plugins``) may also name
  a peer by its entry-point name: ``pytest_httpserver`` (pytest-httpserver's) or
  ``localserver`` (pytest-localserver's, which is why ``-p no:localserver`` disables
  pytest-localserver, not us). Those become the replacement plugin module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "COMPAT",
    "LENIENT_OPTION",
    "OUR_PLUGIN",
    "PEERS",
    "Peer",
    "loaded_peer",
    "peer_of_module",
    "peer_path",
    "plugin_reference",
    "rename_module",
]

COMPAT = "localserver.compat"
OUR_PLUGIN = "localserver.pytest_plugin"
LENIENT_OPTION = "localserver_strict"


@dataclass(frozen=True)
class Peer:
    """One plugin a suite migrates from."""

    module: str
    """Its import name."""
    distribution: str
    """Its name on the package index (what ``pip`` and ``required_plugins`` use)."""
    entry_point: str
    """The name pytest registers its plugin under (what ``-p no:NAME`` blocks)."""
    plugin: str
    """The module its entry point loads."""
    fixtures: frozenset[str]
    """The fixtures its plugin provides."""
    only_fixtures: frozenset[str]
    """The fixtures only this peer provides (``httpserver`` belongs to both)."""
    attributes: frozenset[str]
    """Attributes of its ``httpserver`` the other peer's lacks: they tell the two apart."""

    @property
    def compat(self) -> str:
        """The localserver module of the same shape as :attr:`module`."""
        return f"{COMPAT}.{self.module}"

    @property
    def replacement_plugin(self) -> str:
        """The localserver module that replaces :attr:`plugin`."""
        return rename_module(self.plugin) or self.plugin


_HTTPSERVER_ONLY = frozenset(
    {
        "httpserver_ipv4",
        "httpserver_ipv6",
        "make_httpserver",
        "make_httpserver_ipv4",
        "make_httpserver_ipv6",
        "httpserver_listen_address",
        "httpserver_ssl_context",
    }
)
_LOCALSERVER_ONLY = frozenset({"httpsserver", "smtpserver"})

HTTPSERVER = Peer(
    module="pytest_httpserver",
    distribution="pytest-httpserver",
    entry_point="pytest_httpserver",
    plugin="pytest_httpserver.pytest_plugin",
    fixtures=_HTTPSERVER_ONLY | {"httpserver"},
    only_fixtures=_HTTPSERVER_ONLY,
    attributes=frozenset(
        {
            "expect",
            "expect_request",
            "expect_oneshot_request",
            "expect_ordered_request",
            "url_for",
            "check",
            "check_assertions",
            "check_handler_errors",
            "assert_request_made",
            "iter_matching_requests",
            "get_matching_requests_count",
            "clear_all_handlers",
            "clear_log",
            "clear_assertions",
            "clear_handler_errors",
            "format_matchers",
            "wait",
            "log",
            "handlers",
            "oneshot_handlers",
            "ordered_handlers",
            "no_handler_status_code",
            "bake",
            "is_running",
            "host",
            "port",
        }
    ),
)
LOCALSERVER = Peer(
    module="pytest_localserver",
    distribution="pytest-localserver",
    entry_point="localserver",
    plugin="pytest_localserver.plugin",
    fixtures=_LOCALSERVER_ONLY | {"httpserver"},
    only_fixtures=_LOCALSERVER_ONLY,
    attributes=frozenset(
        {
            "serve_content",
            "url",
            "code",
            "content",
            "headers",
            "chunked",
            "compress",
            "show_post_vars",
            "store_request_data",
            "requests",
            "server_address",
        }
    ),
)
PEERS = (HTTPSERVER, LOCALSERVER)

_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\Z")


def peer_of_module(name: str) -> Peer | None:
    """The peer whose package *name* (a dotted module path) lies in, if any."""
    for peer in PEERS:
        if name == peer.module or name.startswith(peer.module + "."):
            return peer
    return None


def peer_path(name: str) -> str | None:
    """*name* as a path in a peer's package, whether written before or after the move.

    ``localserver.compat.pytest_httpserver.X`` gives ``pytest_httpserver.X``, so that a
    second run reads a migrated file as the first run read the original.
    """
    if name.startswith(COMPAT + "."):
        name = name[len(COMPAT) + 1 :]
    return name if peer_of_module(name) is not None else None


def rename_module(name: str) -> str | None:
    """The localserver module path for a peer module path, or None if *name* is no peer's."""
    peer = peer_of_module(name)
    if peer is None or not _DOTTED.match(name):
        return None
    return COMPAT + "." + name


def plugin_reference(name: str, *, entry_points: bool) -> str | None:
    """The replacement for a plugin reference, or None to leave it.

    Args:
        name: a ``-p`` value or a ``pytest_plugins`` entry (``no:NAME`` is left alone:
            blocking a peer's entry point stays right after the move).
        entry_points: whether *name* may be an entry-point name. True for ``-p``, where
            ``localserver`` means pytest-localserver's plugin; ``pytest_plugins`` resolves
            module names only, so there ``localserver`` is our own package.
    """
    if name == HTTPSERVER.entry_point:
        # pytest finds a plugin registered under this name (the entry point) before
        # it would import the package, so the name means the plugin module.
        return HTTPSERVER.replacement_plugin
    if entry_points and name == LOCALSERVER.entry_point:
        return LOCALSERVER.replacement_plugin
    return rename_module(name)


def loaded_peer(reference: str, *, entry_points: bool) -> Peer | None:
    """The peer whose fixtures a plugin reference (before or after the move) loads."""
    for peer in PEERS:
        names = {peer.plugin, peer.replacement_plugin}
        if entry_points or peer is HTTPSERVER:
            names.add(peer.entry_point)
        if reference in names:
            return peer
    return None
