"""Other spellings of localserver's own names, kept for the peers' users. All in one place.

localserver has one name per concept (``running`` says whether a server runs). Users
of pytest-httpserver and pytest-localserver know other names for a few of them; those
stay, as aliases declared here and nowhere else. The peers' whole APIs, names and
signatures included, live in :mod:`localserver.compat`.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["HTTPSAliases", "SMTPAliases", "ServerAliases"]


class _Runs(Protocol):
    @property
    def running(self) -> bool: ...


class ServerAliases:
    """``is_running()`` and ``is_alive()``: other names of ``running``."""

    def is_running(self: _Runs) -> bool:
        """The same as :attr:`running` (pytest-httpserver's name)."""
        return self.running

    def is_alive(self: _Runs) -> bool:
        """The same as :attr:`running` (pytest-localserver's servers are threads)."""
        return self.running


class _HasCertificate(Protocol):
    @property
    def ca_bundle(self) -> str: ...

    _own_cert_file: str | None


class HTTPSAliases:
    """pytest-localserver's ``certificate``: the file a client trusts."""

    @property
    def certificate(self: _HasCertificate) -> str:
        """The file clients trust: :attr:`ca_bundle`, or your own ``cert_file``.

        pytest-localserver's name (its ``SecureContentServer.certificate``).
        """
        if self._own_cert_file is not None:
            return self._own_cert_file
        return self.ca_bundle


class SMTPAliases(ServerAliases):
    """pytest-localserver's ``accepting``, another name of ``running``."""

    @property
    def accepting(self: _Runs) -> bool:
        """The same as :attr:`running` (pytest-localserver's ``smtp.Server`` name)."""
        return self.running
