"""SMTP AUTH (RFC 4954): the PLAIN and LOGIN exchanges and who may log in."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Callable, NamedTuple

__all__ = [
    "MECHANISMS",
    "AuthAttempt",
    "AuthError",
    "Authenticator",
    "check_auth_option",
    "parse_auth_argument",
    "read_credentials",
]

#: The mechanisms offered in the EHLO reply, in that order.
MECHANISMS = ("PLAIN", "LOGIN")

Authenticator = Callable[[str, str, str], bool]


class AuthAttempt(NamedTuple):
    """One ``AUTH`` the server answered (the password is never kept).

    Attributes:
        mechanism: ``"PLAIN"`` or ``"LOGIN"``.
        user: The user name the client gave.
        success: Whether the server accepted it.
        connection_id: Which connection tried.
    """

    mechanism: str
    user: str
    success: bool
    connection_id: int


class AuthError(Exception):
    """The exchange failed before credentials could be checked; carries the reply."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


def check_auth_option(auth: object) -> Authenticator | None:
    """Turn the ``auth=`` option into a checking function (``None``: AUTH is off).

    Raises:
        TypeError: *auth* is none of ``None``, ``"any"``, a dict or a callable.
    """
    if auth is None:
        return None
    if auth == "any":
        return lambda mechanism, user, password: True
    if isinstance(auth, Mapping):
        for user, password in auth.items():
            if not isinstance(user, str) or not isinstance(password, str):
                raise TypeError(
                    f"'auth' must map str user names to str passwords (got {user!r}: ...)"
                )
        accounts = dict(auth)
        return lambda mechanism, user, password: user in accounts and accounts[user] == password
    if callable(auth):
        checker: Authenticator = auth
        return lambda mechanism, user, password: bool(checker(mechanism, user, password))
    raise TypeError(
        "'auth' must be None, 'any', a dict of user names to passwords, or a callable "
        f"(mechanism, user, password) -> bool (got {auth!r})"
    )


def _decode(value: str) -> str:
    if value == "=":  # RFC 4954: an empty initial response
        return ""
    try:
        return base64.b64decode(value.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise AuthError("501 5.5.2 Cannot decode the response (not base64 of UTF-8)") from None


def parse_auth_argument(arg: str) -> tuple[str, str | None]:
    """Split ``AUTH mechanism [initial-response]`` into the mechanism and the response.

    Raises:
        AuthError: With 501 for bad syntax, 504 for a mechanism not offered.
    """
    words = arg.split(" ")
    mechanism = words[0].upper()
    if not arg or len(words) > 2:
        raise AuthError("501 5.5.4 Syntax: AUTH mechanism [initial-response]")
    if mechanism not in MECHANISMS:
        raise AuthError(
            f"504 5.5.4 Unrecognized authentication type; use {' or '.join(MECHANISMS)}"
        )
    return mechanism, words[1] if len(words) == 2 else None


def read_credentials(
    mechanism: str, initial: str | None, ask: Callable[[str], str]
) -> tuple[str, str]:
    """Run the exchange of *mechanism*; return ``(user, password)``.

    Args:
        mechanism: ``"PLAIN"`` or ``"LOGIN"`` (upper case).
        initial: The initial response on the AUTH line, if any.
        ask: Sends a 334 challenge (base64 text) and returns the client's line.

    Raises:
        AuthError: The client cancelled or sent something undecodable.
    """

    def answer(challenge: str) -> str:
        line = ask(base64.b64encode(challenge.encode()).decode("ascii"))
        if line == "*":
            raise AuthError("501 5.7.0 Authentication cancelled")
        return _decode(line)

    if mechanism == "PLAIN":
        text = answer("") if initial is None else _decode(initial)
        parts = text.split("\0")
        if len(parts) != 3:
            raise AuthError("501 5.5.2 PLAIN needs authzid NUL user NUL password")
        return parts[1], parts[2]
    user = answer("Username:") if initial is None else _decode(initial)
    return user, answer("Password:")
