"""Reading headers fast: the header block and the header objects agree with the full parse.

A mail's headers are read from its header block alone, and plain values become
header objects without the RFC 5322 parser. Whatever path a header takes, a test
must see what ``email.policy.default`` would give: the same text, the same kind
of object, the same addresses and defects, the same folding.
"""

from __future__ import annotations

import copy
import email.policy
import pickle
import random
from email.headerregistry import AddressHeader, BaseHeader, HeaderRegistry
from email.parser import BytesParser
from typing import Any

import pytest

from localserver import ReceivedMail
from localserver._smtp.headers import POLICY, parse_message, read_header_block

# The policy of received mails with the standard registry: what the fast path must match.
FULL = POLICY.clone(header_factory=HeaderRegistry())
FAST = POLICY.header_factory

PLAIN = (
    b"From: Shop <shop@example.com>\r\n"
    b"To: Ada Lovelace <ada@example.com>, bob@example.com\r\n"
    b"Cc: carol@example.com\r\n"
    b"Subject: Your order 42 has shipped\r\n"
    b"Message-ID: <42@example.com>\r\n"
    b"Date: Sat, 21 Nov 2026 12:00:00 +0000\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: text/plain; charset="utf-8"\r\n'
    b"Content-Transfer-Encoding: 7bit\r\n"
    b"\r\n"
    b"Hello Ada\r\n"
)

# Mails whose header block the fast path reads (well formed, CRLF only).
WELL_FORMED = {
    "plain": PLAIN,
    "encoded words": (
        b"From: =?utf-8?q?J=C3=BCrgen?= <j@example.com>\r\n"
        b"To: =?utf-8?b?Wm/Dqw==?= <zoe@example.com>\r\n"
        b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\r\n"
        b"\r\nbody\r\n"
    ),
    "smtputf8": (
        "From: Jürgen <jürgen@exämple.com>\r\n"
        "To: Zoë <zoë@example.com>, bob@example.com\r\n"
        "Subject: Grüße aus Köln\r\n"
        "X-Note: ünïcode ✓\r\n"
        "\r\nHällo\r\n"
    ).encode(),
    "folded": (
        b"Subject: a subject that goes on\r\n and on\r\n\tand on\r\n"
        b"To: Ada <ada@example.com>,\r\n bob@example.com,\r\n  Carol Smith <carol@example.com>\r\n"
        b"\r\nbody\r\n"
    ),
    "duplicates": (
        b"Received: from a by b\r\n"
        b"Received: from c by d\r\n"
        b"To: ada@example.com\r\n"
        b"To: bob@example.com\r\n"
        b"Subject: one\r\n"
        b"Subject: two\r\n"
        b"\r\nbody\r\n"
    ),
    "bcc": (
        b"To: ada@example.com\r\nBcc: Audit <audit@example.com>, hidden@example.com\r\n"
        b"Subject: s\r\n\r\nbody\r\n"
    ),
    "odd addresses": (
        b'To: "Doe, Jane" <jane@example.com>, Dr. No <no@example.com>\r\n'
        b"Cc: undisclosed-recipients:;\r\n"
        b"Reply-To: ada@example.com (Ada), <bob@[127.0.0.1]>\r\n"
        b"Sender: not an address\r\n"
        b"From: a..b@example.com\r\n"
        b"\r\nbody\r\n"
    ),
    "odd text": (
        b"Subject: \r\n"
        b"X-Spaces:   leading and trailing   \r\n"
        b"X-Tab: a\tb\r\n"
        b"X-Control: bell \x07 here\r\n"
        b"X-Undecodable: caf\xe9\r\n"
        b"X-Almost-Word: =?not an encoded word\r\n"
        b"\r\nbody\r\n"
    ),
    "multipart": (
        b"From: a@example.com\r\nTo: b@example.com\r\nSubject: files\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n'
        b"--XX\r\nContent-Type: text/plain\r\n\r\ntext\r\n"
        b"--XX\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="a.bin"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--XX--\r\n"
    ),
    "headers only": b"Subject: no body\r\nTo: ada@example.com\r\n",
    "unterminated": b"Subject: no line end",
    "no headers": b"\r\njust a body\r\n",
    "empty": b"",
}

# Mails the full parser must read (the header block is not plainly well formed).
MALFORMED = {
    "bare lf": b"Subject: one\nTo: ada@example.com\r\n\r\nbody\r\n",
    "bare lf blank line": b"Subject: one\r\n\nTo: hidden@example.com\r\n\r\nbody\r\n",
    "bare cr": b"Subject: one\rTo: ada@example.com\r\n\r\nbody\r\n",
    "no colon": b"Subject: one\r\nnot a header\r\nTo: ada@example.com\r\n\r\nbody\r\n",
    "leading continuation": b" folded\r\nSubject: one\r\n\r\nbody\r\n",
    "empty name": b": nameless\r\nSubject: one\r\n\r\nbody\r\n",
    "unix from": b"From someone Sat Nov 21 2026\r\nSubject: one\r\n\r\nbody\r\n",
    "no blank line": b"Subject: one\r\nbody text\r\n",
}


def mail(raw: bytes) -> ReceivedMail:
    return ReceivedMail(raw, mail_from="a@example.com", rcpt_tos=["ada@example.com"])


def describe(header: Any) -> tuple[Any, ...]:
    """What a test can see of a header object."""
    if header is None:
        return (None,)
    kinds = tuple(
        base.__name__
        for base in type(header).__mro__
        if base.__module__ == "email.headerregistry"
        and base is not BaseHeader
        and not base.__name__.startswith("_")  # the class made for the header
    )
    addresses: tuple[Any, ...] = ()
    if isinstance(header, AddressHeader):
        addresses = (
            tuple((a.display_name, a.username, a.domain) for a in header.addresses),
            tuple((g.display_name, len(g.addresses)) for g in header.groups),
        )
    return (
        str(header),
        header.name,
        kinds,
        [type(defect).__name__ for defect in header.defects],
        addresses,
        header.fold(policy=POLICY),
    )


def full_view(raw: bytes) -> ReceivedMail:
    """A mail parsed in full before its headers are read."""
    whole = mail(raw)
    assert whole.defects is not None  # the body state: a full parse
    return whole


class TestHeaderBlock:
    @pytest.mark.parametrize("name", sorted(WELL_FORMED))
    def test_well_formed_blocks_are_read_alone(self, name: str) -> None:
        """A plain header block gives the pairs the full parse stores, body unparsed."""
        raw = WELL_FORMED[name]
        assert read_header_block(raw) == list(parse_message(raw).raw_items())
        fast = mail(raw)
        fast.keys()
        assert "_headers" in vars(fast)
        assert "_payload" not in vars(fast)

    @pytest.mark.parametrize("name", sorted(MALFORMED))
    def test_malformed_blocks_go_to_the_full_parser(self, name: str) -> None:
        """A block the feed parser would read with defects is left to it."""
        raw = MALFORMED[name]
        assert read_header_block(raw) is None
        looked = mail(raw)
        assert looked.items() == full_view(raw).items()
        assert "_payload" in vars(looked)


class TestAgreement:
    @pytest.mark.parametrize("name", sorted({**WELL_FORMED, **MALFORMED}))
    def test_headers_read_first_or_after_the_body_agree(self, name: str) -> None:
        """Every header reads the same whether the headers or the body were parsed first."""
        raw = {**WELL_FORMED, **MALFORMED}[name]
        first, whole = mail(raw), full_view(raw)
        assert first.keys() == whole.keys()
        for key in set(first.keys()):
            assert [describe(h) for h in first.get_all(key)] == [
                describe(h) for h in whole.get_all(key)
            ], key
        assert first.defects == [] or [type(d) for d in first.defects] == [
            type(d) for d in whole.defects
        ]
        assert first.as_string() == whole.as_string()
        assert first.get_body() is not None or whole.get_body() is None

    @pytest.mark.parametrize("name", sorted(WELL_FORMED))
    def test_header_objects_match_the_standard_registry(self, name: str) -> None:
        """Each header object equals the one policy.default's own registry builds."""
        for key, value in read_header_block(WELL_FORMED.get(name, b"")) or []:
            unfolded = value.replace("\r", "").replace("\n", "")  # as header_fetch_parse does
            assert describe(FAST(key, unfolded)) == describe(FULL.header_factory(key, unfolded))

    def test_ascii_mail_reads_as_policy_default(self) -> None:
        """For an ASCII mail, the values are those of email.policy.default itself."""
        reference = BytesParser(policy=email.policy.default).parsebytes(PLAIN.replace(b"\r", b""))
        received = mail(PLAIN)
        for key in reference:
            assert str(received[key]) == str(reference[key])
        assert received["To"].addresses == reference["To"].addresses
        assert received["Date"].datetime == reference["Date"].datetime
        assert received.get_content() == reference.get_content()

    def test_fast_path_is_taken_for_plain_values(self) -> None:
        """Plain subjects and address lists skip the RFC 5322 parser."""
        received = mail(PLAIN)
        for key in ("Subject", "To", "From", "Cc", "Message-ID"):
            tree = vars(received[key])["_parse_tree"]
            assert (type(tree).__name__ == "_Unparsed") == (key != "Message-ID"), key
        encoded = mail(WELL_FORMED["encoded words"])
        assert type(vars(encoded["Subject"])["_parse_tree"]).__name__ != "_Unparsed"
        assert encoded["Subject"] == "Grüße aus Köln"
        assert [a.display_name for a in encoded["To"].addresses] == ["Zoë"]


ATOMS = ["a", "Zoe", "O'Brien", "x-y", "b_c", "#1", "z~", "ü", "=", "?", "Dr.", ".", '"q"', "(c)"]
BLANKS = ["", " ", "  ", "\t"]
NAMES = ["Subject", "To", "From", "Cc", "Bcc", "Sender", "Reply-To", "X-Anything", "Comments"]


def address_like(rng: random.Random) -> str:
    def item() -> str:
        local = ".".join(rng.choice(ATOMS) for _ in range(rng.randint(1, 2)))
        domain = ".".join(rng.choice(ATOMS) for _ in range(rng.randint(1, 2)))
        spec = f"{local}@{domain}"
        if rng.random() < 0.4:
            return rng.choice(BLANKS) + spec + rng.choice(BLANKS)
        words = rng.choice(BLANKS[1:]).join(rng.choice(ATOMS) for _ in range(rng.randint(0, 3)))
        return f"{rng.choice(BLANKS)}{words}{rng.choice(BLANKS)}<{spec}>{rng.choice(BLANKS)}"

    return ",".join(item() for _ in range(rng.randint(1, 3)))


def text_like(rng: random.Random) -> str:
    alphabet = [*"abcXYZ09 \t.,<>@\"()\\:;=?'!#é\x00\x7f\xa0", "=?utf-8?q?x?=", "\udcc3"]
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))


def outcome(factory: Any, name: str, value: str) -> tuple[Any, ...]:
    """What a test sees of the header, and whether the fast path made it (last)."""
    fast = None
    try:
        header = factory(name, value)
        fast = type(vars(header)["_parse_tree"]).__name__ == "_Unparsed"
        return (*describe(header), fast)  # describe() folds, which builds the tree
    except Exception as exc:  # the standard parser fails on some values: so must we
        return ("raised", type(exc).__name__, fast)


class TestGeneratedValues:
    @pytest.mark.parametrize("generate", [address_like, text_like])
    def test_fast_and_full_agree(self, generate: Any) -> None:
        """Generated values read the same through both registries (seeded, repeatable)."""
        rng = random.Random(20261129)
        fast_hits = 0
        for _ in range(600):
            name, value = rng.choice(NAMES), generate(rng)
            fast, full = outcome(FAST, name, value), outcome(FULL.header_factory, name, value)
            assert fast[:-1] == full[:-1], (name, value)
            fast_hits += fast[-1] is True
        assert fast_hits > 50  # the fast path was exercised


class TestCopies:
    def test_header_objects_pickle_and_copy(self) -> None:
        """Header objects of either path survive pickle and deepcopy, folding included."""
        for value in ("Ada <ada@example.com>", '"Doe, J" <j@example.com>'):
            header = FAST("To", value)
            for clone in (pickle.loads(pickle.dumps(header)), copy.deepcopy(header)):
                assert describe(clone) == describe(header)

    def test_mail_with_headers_read_pickles(self) -> None:
        """A mail whose headers were read (and not its body) pickles, then reads its body."""
        received = mail(PLAIN)
        assert received["Subject"] == "Your order 42 has shipped"
        clone = pickle.loads(pickle.dumps(received))
        assert clone["To"].addresses == received["To"].addresses
        assert clone.get_content() == "Hello Ada\n"
