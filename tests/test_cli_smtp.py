"""``python -m localserver smtp``: real mail to a CLI in a subprocess."""

from __future__ import annotations

import signal
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

import pytest

from ._cli_process import CLIProcess
from .conftest import TIMEOUT

PORT = r"listening on smtp://127\.0\.0\.1:(\d+)"


def _mail_with_attachment() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Ann <ann@example.com>"
    message["To"] = "bob@example.com"
    message["Subject"] = "Grüße"
    message.set_content("Hello Bob,\nsee attached.\n")
    message.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="report.pdf"
    )
    return message


class TestSMTPCommand:
    def test_prints_envelope_headers_text_and_attachments(self, tmp_path: Path) -> None:
        """Each mail is printed in full and saved as .eml with its bytes."""
        with CLIProcess("smtp", "--port", "0", "--save", str(tmp_path / "mails")) as proc:
            port = int(proc.wait_line("err", PORT).group(1))
            with smtplib.SMTP("127.0.0.1", port, local_hostname="tester", timeout=TIMEOUT) as c:
                c.send_message(_mail_with_attachment(), to_addrs=["bob@example.com", "cc@x.org"])
            proc.wait_line(
                "out", r"mail from <ann@example\.com> to <bob@example\.com>, <cc@x\.org>"
            )
            proc.wait_line("out", r"^    Subject: Grüße$")
            proc.wait_line("out", r"^    Hello Bob,$")
            proc.wait_line("out", r"attachment: report\.pdf \(application/pdf, 13 bytes\)")
            saved = Path(proc.wait_line("out", r"saved: (\S+)").group(1))
            assert saved.parent == tmp_path / "mails"
            assert b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=" in saved.read_bytes()
            assert proc.stop() == 0
        assert proc.lines["err"][-1] == "stopped: 1 mail received"

    def test_raw_mode(self) -> None:
        """--raw prints the message bytes as received."""
        with CLIProcess("smtp", "--port", "0", "--raw") as proc:
            port = int(proc.wait_line("err", PORT).group(1))
            with smtplib.SMTP("127.0.0.1", port, local_hostname="t", timeout=TIMEOUT) as client:
                client.sendmail("a@x", ["b@x"], b"X-Raw: yes\r\n\r\nraw body\r\n")
            proc.wait_line("out", r"^X-Raw: yes$")
            proc.wait_line("out", r"^raw body$")
            assert proc.stop(signal.SIGTERM) == 0

    def test_starttls_and_auth(self) -> None:
        """--starttls --auth user:pass: the printed CA verifies; wrong passwords get 535."""
        with CLIProcess("smtp", "--port", "0", "--starttls", "--auth", "ann:secret") as proc:
            port = int(proc.wait_line("err", PORT).group(1))
            bundle = proc.wait_line("err", r"^CA bundle: (\S+)").group(1)
            context = ssl.create_default_context(cafile=bundle)
            with smtplib.SMTP("localhost", port, local_hostname="t", timeout=TIMEOUT) as client:
                client.starttls(context=context)
                with pytest.raises(smtplib.SMTPAuthenticationError) as info:
                    client.login("ann", "wrong")
                assert info.value.smtp_code == 535
                client.login("ann", "secret")
                client.sendmail("ann@x", ["b@x"], b"Subject: s\r\n\r\nbody\r\n")
            proc.wait_line("out", r"tls starttls, auth ann;")
            assert proc.stop() == 0
