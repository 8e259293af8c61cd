"""A raw-socket SMTP client for tests that need to send what smtplib never would."""

from __future__ import annotations

import socket
from types import TracebackType

TIMEOUT = 5.0


class RawClient:
    """Speak SMTP byte by byte; every read is bounded by a socket timeout."""

    def __init__(self, address: tuple[str, int], *, greet: bool = True) -> None:
        self.sock = socket.create_connection(address, timeout=TIMEOUT)
        self.reader = self.sock.makefile("rb")
        if greet:
            code, _ = self.reply()
            assert code == 220

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> tuple[int, str]:
        """Read one (possibly multi-line) reply; (0, "") when the server closed."""
        lines = []
        while True:
            line = self.reader.readline()
            if not line:
                return (0, "")
            lines.append(line.decode("utf-8").rstrip("\r\n"))
            if line[3:4] != b"-":
                return int(line[:3]), "\n".join(text[4:] for text in lines)

    def command(self, line: str | bytes) -> tuple[int, str]:
        data = line.encode("utf-8") if isinstance(line, str) else line
        self.send(data + b"\r\n")
        return self.reply()

    def closed(self) -> bool:
        """True when the server has closed the connection (EOF or reset)."""
        try:
            return self.reader.read() == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.reader.close()
        self.sock.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
