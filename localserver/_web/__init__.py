"""The live web page of the debugging servers (issue 17): a mail inbox, a request inspector.

A :class:`WebStore` holds what the page shows, as entries that
:func:`mail_entry` and :func:`exchange_entry` make from a received mail and a
(request, response) pair; :func:`start_web` serves the page and its JSON API
from localserver's own ``WSGIServer``. The CLI adds ``--web-port`` and
``--web-host`` with :func:`add_web_options` and runs the page with
:func:`web_for`. The HTML, CSS and script are package data under ``static/``.
"""

from __future__ import annotations

from ._app import WebApp
from ._cli_web import CLIWeb, add_web_options, web_for
from ._mail_entry import mail_entry
from ._request_entry import curl_command, exchange_entry
from ._server import DEFAULT_PORT, WebServer, start_web
from ._store import Change, Download, Entry, Page, WebStore

__all__ = [
    "DEFAULT_PORT",
    "CLIWeb",
    "Change",
    "Download",
    "Entry",
    "Page",
    "WebApp",
    "WebServer",
    "WebStore",
    "add_web_options",
    "curl_command",
    "exchange_entry",
    "mail_entry",
    "start_web",
    "web_for",
]
