"""Optional dependencies: imported when a feature needs them, named when they are missing.

Jinja2 (response templates) and PyYAML (VCR.py cassettes) are extras of the
``localserver`` distribution; nothing imports them until a feature is used, so a
plain install stays small and starts fast.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ._errors import MissingExtraError

__all__ = ["MissingExtraError", "import_extra"]


def import_extra(module: str, *, extra: str, feature: str) -> ModuleType:
    """Import *module*, or explain which extra of localserver provides it.

    Args:
        module: The dotted module name, e.g. ``"jinja2.sandbox"``.
        extra: The extra that installs it, e.g. ``"templates"``.
        feature: What the caller was doing, in the user's words, e.g.
            ``"response templates"``.

    Returns:
        The imported module.

    Raises:
        MissingExtraError: The module cannot be imported; the original
            ``ImportError`` is the ``__cause__``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.partition(".")[0]
        raise MissingExtraError(
            f"{feature} need the {top!r} package, which is not installed "
            f'({exc}); install it with: pip install "localserver[{extra}]"'
        ) from exc
