"""The unittest adapter: mixins that give a ``TestCase`` class running servers.

They start the servers in ``setUpClass``, isolate each test, and turn the servers'
checks into the ``TestCase``'s failures; they hold no checking logic of their own.
"""

from __future__ import annotations

from .mixins import HTTPServerMixin, HTTPSServerMixin, SMTPServerMixin
from .slots import without_server_checks

__all__ = ["HTTPSServerMixin", "HTTPServerMixin", "SMTPServerMixin", "without_server_checks"]
