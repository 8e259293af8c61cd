"""pytest-localserver's public API over localserver: rename ``pytest_localserver`` to this.

The modules are those of pytest-localserver: :mod:`.http` (``WSGIServer``,
``ContentServer``, ``Chunked``), :mod:`.https` (``SecureContentServer``),
:mod:`.smtp` (``Server``) and :mod:`.plugin` (the fixtures). See
:mod:`localserver.compat` for the rules.
"""

from __future__ import annotations

from .._absent import absent_names
from ._names import NOT_OFFERED

__all__ = ["VERSION"]

#: The pytest-localserver release whose API these modules offer.
VERSION = "0.10.0"

__getattr__ = absent_names(__name__, NOT_OFFERED[""])
