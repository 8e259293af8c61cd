"""Matchers for the request body: raw bytes or regex, JSON, form fields and file parts."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Request

from ._fields import Check, FieldMatcher, ValueMatcher, describe_body, make_value_matcher, short

__all__ = ["BodyMatcher", "FilesMatcher", "FormMatcher", "JSONMatcher", "json_difference"]


class BodyMatcher(FieldMatcher):
    """The body equals bytes (a str is encoded first) or a regex finds a match in it."""

    field = "body"

    def __init__(self, data: object, encoding: str) -> None:
        self.pattern: re.Pattern[bytes] | None = None
        self.data = b""
        if isinstance(data, re.Pattern):
            pattern = data.pattern
            if isinstance(pattern, str):
                pattern = pattern.encode(encoding)
            self.pattern = re.compile(pattern, data.flags & ~re.UNICODE)
            self._describe = f"contains a match for {data.pattern!r}"
        elif isinstance(data, str):
            self.data = data.encode(encoding)
            self._describe = describe_body(self.data)
        elif isinstance(data, (bytes, bytearray, memoryview)):
            self.data = bytes(data)
            self._describe = describe_body(self.data)
        else:
            raise TypeError(
                f"'data' must be str, bytes or a compiled regex (got {type(data).__name__}: "
                f"{data!r:.60})"
            )

    def check(self, request: Request) -> Check:
        body = request.get_data()
        if self.pattern is not None:
            if self.pattern.search(body):
                return True, ""
            return False, "no match for the pattern in the body"
        if body == self.data:
            return True, ""
        if len(body) != len(self.data):
            return False, f"expected {len(self.data)} bytes, got {len(body)}"
        first = next(i for i, (a, b) in enumerate(zip(body, self.data)) if a != b)
        return False, f"bodies differ from byte {first} on"

    def expected(self) -> str:
        return self._describe

    def received(self, request: Request) -> str:
        return describe_body(request.get_data())


def json_difference(expected: Any, actual: Any, lenient: bool, path: str = "$") -> str | None:
    """Describe the first place where *actual* differs from *expected*, or None.

    With *lenient*, objects in *actual* may have keys that *expected* lacks, at
    any depth. ``true`` and ``1`` are different values.
    """
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return f"at {path}: expected an object, got {short(actual)}"
        for key, value in expected.items():
            if key not in actual:
                return f"at {path}: key {key!r} is missing"
            found = json_difference(value, actual[key], lenient, f"{path}.{key}")
            if found:
                return found
        if not lenient:
            extra = [key for key in actual if key not in expected]
            if extra:
                return f"at {path}: unexpected key {extra[0]!r}"
        return None
    if isinstance(expected, (list, tuple)):
        if not isinstance(actual, list):
            return f"at {path}: expected an array, got {short(actual)}"
        if len(actual) != len(expected):
            return f"at {path}: expected {len(expected)} items, got {len(actual)}"
        for index, (want, got) in enumerate(zip(expected, actual)):
            found = json_difference(want, got, lenient, f"{path}[{index}]")
            if found:
                return found
        return None
    if type(expected) is not type(actual) and not (
        isinstance(expected, (int, float))
        and isinstance(actual, (int, float))
        and not isinstance(expected, bool)
        and not isinstance(actual, bool)
    ):
        return f"at {path}: expected {short(expected)}, got {short(actual)}"
    if expected != actual:
        return f"at {path}: expected {short(expected)}, got {short(actual)}"
    return None


class JSONMatcher(FieldMatcher):
    """The body parses as JSON equal to a value (optionally ignoring extra object keys)."""

    field = "json"

    def __init__(self, value: Any, encoding: str, lenient: bool) -> None:
        try:
            self._text = json.dumps(value, sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"'json' must be JSON-serialisable (got {value!r:.60}): {exc}"
            ) from None
        self.value = value
        self.encoding = encoding
        self.lenient = lenient

    def check(self, request: Request) -> Check:
        try:
            actual = json.loads(request.get_data().decode(self.encoding))
        except (UnicodeDecodeError, ValueError) as exc:
            return False, f"the body is not JSON: {exc}"
        found = json_difference(self.value, actual, self.lenient)
        return (False, found) if found else (True, "")

    def expected(self) -> str:
        suffix = " (extra keys allowed)" if self.lenient else ""
        return describe_body(self._text.encode()) + suffix

    def received(self, request: Request) -> str:
        return describe_body(request.get_data())


class FormMatcher(FieldMatcher):
    """Named form fields (urlencoded or multipart) have the expected values; others may exist.

    A list of str expects exactly those values, in order.
    """

    field = "form"

    def __init__(self, form: object) -> None:
        if not isinstance(form, Mapping):
            raise TypeError(f"'form' must be a mapping of field name to value (got {form!r:.60})")
        self.lists: dict[str, list[str]] = {}
        self.values: dict[str, ValueMatcher] = {}
        for name, spec in form.items():
            if not isinstance(name, str):
                raise TypeError(f"'form' field names must be str (got {name!r})")
            if isinstance(spec, (list, tuple)) and all(isinstance(v, str) for v in spec):
                self.lists[name] = list(spec)
            else:
                self.values[name] = make_value_matcher(f"'form' field {name!r}", spec)

    def check(self, request: Request) -> Check:
        form = request.form
        for name, want in self.lists.items():
            got = form.getlist(name)
            if got != want:
                return False, f"field {name!r}: expected {short(want)}, got {short(got)}"
        for name, matcher in self.values.items():
            got_value = form.get(name)
            ok, reason = matcher.check(got_value)
            if not ok:
                # One row holds every field, so the reason must show the values.
                return False, f"field {name!r}: {reason or f'got {short(got_value)}'}"
        return True, ""

    def expected(self) -> str:
        parts = [f"{name}={short(v)}" for name, v in self.lists.items()]
        parts += [f"{name}={m.describe()}" for name, m in self.values.items()]
        return ", ".join(parts)

    def received(self, request: Request) -> str:
        fields = request.form.to_dict(flat=False)
        text = ", ".join(f"{k}={v[0] if len(v) == 1 else v!r}" for k, v in fields.items())
        return text or "(no form fields)"


class FilesMatcher(FieldMatcher):
    """Multipart file parts: content (str or bytes), or ``(filename, content)``."""

    field = "files"

    def __init__(self, files: object) -> None:
        if not isinstance(files, Mapping):
            raise TypeError(
                f"'files' must be a mapping of field name to content (got {files!r:.60})"
            )
        self.parts: dict[str, tuple[str | None, bytes]] = {}
        for name, spec in files.items():
            filename: str | None = None
            if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str):
                filename, spec = spec
            if isinstance(spec, str):
                spec = spec.encode("utf-8")
            if not isinstance(spec, bytes):
                raise TypeError(
                    f"'files' value for {name!r} must be bytes, str or (filename, content) "
                    f"(got {type(spec).__name__})"
                )
            self.parts[name] = (filename, spec)

    def check(self, request: Request) -> Check:
        for name, (filename, content) in self.parts.items():
            part = request.files.get(name)
            if part is None:
                return False, f"no file part named {name!r}"
            if filename is not None and part.filename != filename:
                return False, f"part {name!r}: filename {part.filename!r}, expected {filename!r}"
            data = part.stream.read()
            part.stream.seek(0)
            if data != content:
                sizes = f"{len(data)} bytes, expected {len(content)}"
                return False, f"part {name!r}: content differs ({sizes})"
        return True, ""

    def expected(self) -> str:
        return ", ".join(
            f"{name}={fn + ': ' if fn else ''}{len(data)} bytes"
            for name, (fn, data) in self.parts.items()
        )

    def received(self, request: Request) -> str:
        parts = []
        for name, part in request.files.items(multi=True):
            size = len(part.stream.read())
            part.stream.seek(0)
            parts.append(f"{name}={part.filename}: {size} bytes")
        return ", ".join(parts) or "(no file parts)"
