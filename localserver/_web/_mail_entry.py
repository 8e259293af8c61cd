"""A received mail as the web page shows it: summary, detail, HTML part, attachments.

Everything is read once, when the mail arrives. A mail that the ``email``
package cannot fully make sense of (a broken header, an unknown charset) still
gets an entry: the part that failed falls back to the raw text, and the raw
source is always there.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from email.message import Message
from email.utils import getaddresses
from typing import Callable, TypeVar
from urllib.parse import unquote

from .._smtp.mail import ReceivedMail
from ._format import iso_time, safe_filename, safe_type
from ._store import Download, Entry, JSONObject

__all__ = ["mail_entry"]

_T = TypeVar("_T")

# A cid: URL (RFC 2392) as an attribute value or in a style's url(): it follows a
# quote, "=" or "(" and ends at a quote, space or bracket. Text is left alone.
_CID_URL = re.compile(r"(?<=[\"'=(])cid:([^\"'\s<>()]+)", re.IGNORECASE)
# Inline images up to this size are shown in the HTML part (as data: URLs).
_INLINE_MAX = 5 * 1024 * 1024


def _safe(read: Callable[[], _T], fallback: _T) -> _T:
    """``read()``, or *fallback* when the mail is too broken for the email package."""
    try:
        return read()
    except Exception:  # a malformed mail must not cost the whole entry
        return fallback


def _raw_header(mail: Message, name: str) -> str | None:
    for key, value in mail.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _header(mail: Message, name: str) -> str | None:
    """A header's decoded value, or its raw text if it cannot be decoded."""
    return _safe(lambda: None if mail[name] is None else str(mail[name]), _raw_header(mail, name))


def _addresses(mail: Message, name: str) -> list[str]:
    """The addresses of every header *name*, as ``Name <address>`` text each."""

    def parse() -> list[str]:
        found: list[str] = []
        for value in mail.get_all(name, []):
            addresses = getattr(value, "addresses", None)
            if addresses is None:
                found.extend(address for _, address in getaddresses([str(value)]) if address)
            else:
                found.extend(str(address) for address in addresses)
        return found

    return _safe(parse, [value for value in [_raw_header(mail, name)] if value])


def _part_text(part: Message) -> str:
    """A text part's content as str, decoded leniently when its charset is wrong."""

    def lenient() -> str:
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        charset = part.get_content_charset() or "utf-8"
        try:
            return data.decode(charset, "replace")
        except LookupError:
            return data.decode("utf-8", "replace")

    content = _safe(part.get_content, None)  # type: ignore[attr-defined]
    return content if isinstance(content, str) else lenient()


def _leaves(part: Message) -> list[Message]:
    """Every part that is not a container; an attached mail counts as one part."""
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        return [part]
    payload = part.get_payload()
    children = payload if isinstance(payload, list) else []
    return [leaf for child in children if isinstance(child, Message) for leaf in _leaves(child)]


def _download(part: Message, index: int) -> Download:
    content_type = safe_type(part.get_content_type())
    if content_type == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        data = _safe(inner.as_bytes, b"") if isinstance(inner, Message) else b""
    else:
        decoded: object = _safe(lambda: part.get_payload(decode=True), None)
        data = decoded if isinstance(decoded, bytes) else b""
    default = f"part-{index + 1}{mimetypes.guess_extension(content_type) or '.bin'}"
    name = _safe(part.get_filename, None)
    return Download(safe_filename(name or "", default), content_type, data)


def _content_id(part: Message) -> str | None:
    value = _safe(lambda: part.get("Content-ID"), None)
    return str(value).strip().strip("<>") if value else None


def _inline_images(html: str, images: dict[str, Download]) -> str:
    """Point ``cid:`` references at the images the mail carries, as ``data:`` URLs.

    The HTML part may load ``data:`` images only, so the mail's own inline
    images show while nothing from elsewhere does.
    """

    def replace(match: re.Match[str]) -> str:
        image = images.get(unquote(match.group(1)))
        if image is None:
            return match.group(0)
        encoded = base64.b64encode(image.data).decode("ascii")
        return f"data:{image.content_type};base64,{encoded}"

    return _CID_URL.sub(replace, html) if images else html


def mail_entry(mail: ReceivedMail) -> Entry:
    """Turn a received mail into a store entry.

    Args:
        mail: A mail from an ``SMTPServer``'s outbox.

    Returns:
        An entry of kind ``"mail"`` (its id is given when it is stored).
    """
    to = _addresses(mail, "To")
    cc = _addresses(mail, "Cc")
    bcc_header = _addresses(mail, "Bcc")
    envelope_only = _safe(lambda: mail.bcc, list(mail.rcpt_tos))
    subject = _header(mail, "Subject")
    sender = _header(mail, "From")
    text_part = _safe(lambda: mail.get_body(preferencelist=("plain",)), None)
    html_part = _safe(lambda: mail.get_body(preferencelist=("html",)), None)
    bodies = [part for part in (text_part, html_part) if part is not None]
    leaves: list[Message] = _safe(lambda: _leaves(mail), [])
    attached = [part for part in leaves if all(part is not body for body in bodies)]
    downloads = tuple(_download(part, index) for index, part in enumerate(attached))
    images = {
        cid: download
        for part, download in zip(attached, downloads)
        for cid in [_content_id(part)]
        if cid and download.content_type.startswith("image/") and len(download.data) <= _INLINE_MAX
    }
    summary: JSONObject = {
        "received_at": iso_time(mail.received_at),
        "from": sender if sender is not None else mail.mail_from,
        "mail_from": mail.mail_from,
        "rcpt_tos": list(mail.rcpt_tos),
        "to": to,
        "cc": cc,
        "bcc": list(dict.fromkeys([*bcc_header, *envelope_only])),
        "subject": subject,
        "date": _header(mail, "Date"),
        "size": len(mail.raw),
        "tls": mail.tls,
        "auth_user": mail.auth_user,
        "attachment_count": len(downloads),
    }
    detail: JSONObject = {
        **summary,
        "envelope_only": envelope_only,
        "peer": list(mail.peer[:2]),
        "helo": mail.helo,
        "esmtp": mail.esmtp,
        "smtputf8": mail.smtputf8,
        "mail_options": list(mail.mail_options),
        "connection_id": mail.connection_id,
        "headers": _safe(
            lambda: [[name, str(value)] for name, value in mail.items()],
            [[name, str(value)] for name, value in mail.raw_items()],
        ),
        "text": None if text_part is None else _part_text(text_part),
        "has_html": html_part is not None,
        "attachments": [
            {
                "index": i,
                "filename": d.filename,
                "content_type": d.content_type,
                "size": len(d.data),
            }
            for i, d in enumerate(downloads)
        ],
    }
    search = "\n".join(
        [sender or "", mail.mail_from, subject or "", *mail.rcpt_tos, *to, *cc, *bcc_header]
    ).lower()
    return Entry(
        kind="mail",
        summary=summary,
        detail=detail,
        raw=mail.raw,
        search=search,
        html=None if html_part is None else _inline_images(_part_text(html_part), images),
        downloads=downloads,
    )
