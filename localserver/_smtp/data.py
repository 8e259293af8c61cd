"""Reading the message after DATA: dot-unstuffing, the size limit, RFC 5321 line ends.

Only CRLF ends a line (RFC 5321 section 2.3.8), so only ``<CRLF>.<CRLF>`` ends the
data: a ``.`` line after a bare LF, or a ``.`` followed by a bare LF, is message
text. That closes the "SMTP smuggling" hole, where a client hides a second mail
behind a line end that another server would have honoured. A message holding a
bare LF or a bare CR is refused as a whole (``bare_lf="reject"``, the default)
or kept byte for byte (``bare_lf="accept"``).
"""

from __future__ import annotations

from .io import LINE_LIMIT, Connection

__all__ = ["read_data"]

_TOO_LONG = "554 5.5.2 Message refused: a line is longer than 1000 octets with its CRLF"
_BARE = (
    "554 5.6.0 Message refused: bare LF or CR in the message "
    "(RFC 5321 section 2.3.8: lines end with CRLF)"
)


def read_data(
    conn: Connection, max_size: int | None, *, keep_bare: bool
) -> tuple[bytes, str | None]:
    """Read the message up to ``<CRLF>.<CRLF>``.

    The whole message is always read, so the session stays in step with the
    client whatever goes wrong; what went wrong first is returned as the reply.

    Args:
        conn: The connection, just after the 354 reply.
        max_size: The most octets the message may have, or ``None``.
        keep_bare: Keep a message with bare LF or CR instead of refusing it.

    Returns:
        The message (CRLF line ends, dot-unstuffed) and ``None``, or ``b""`` and
        the error reply.

    Raises:
        SessionClosed: The client went away before the end of data.
    """
    pieces: list[bytes] = []
    size = 0
    error: str | None = None
    at_line_start = True  # the CRLF of the DATA command starts the first line
    while True:
        line = conn.readline(LINE_LIMIT)
        if line.too_long:
            error = error or _TOO_LONG
            at_line_start = line.crlf
            continue
        data = line.data
        if at_line_start and data == b".\r\n":
            break
        if line.bare and not keep_bare:
            error = error or _BARE
        if at_line_start and data[:1] == b".":
            data = data[1:]
        at_line_start = line.crlf
        if error is None:
            size += len(data)
            if max_size is not None and size > max_size:
                error = f"552 5.3.4 Message size exceeds the limit of {max_size} octets"
            else:
                pieces.append(data)
        elif pieces:
            pieces = []
    return (b"", error) if error is not None else (b"".join(pieces), None)
