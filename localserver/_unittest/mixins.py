"""The unittest mixins: a real server per test class, checked after every test.

Place a mixin before ``TestCase`` in the bases (``unittest.TestCase``,
``IsolatedAsyncioTestCase``, Django's ``SimpleTestCase``, ``TestCase`` or
``LiveServerTestCase``); mixins combine with each other.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, ClassVar

from .._http import HTTPServer
from .._https import HTTPSServer
from .._public import public
from .._smtp.server import SMTPServer
from .asserts import ClientCertAssertions, HTTPAssertions
from .mail_asserts import MailAssertions
from .slots import ServerMixinBase, ServerSlot

__all__ = ["HTTPServerMixin", "HTTPSServerMixin", "SMTPServerMixin"]


@public
class HTTPServerMixin(HTTPAssertions, ServerMixinBase):
    """A running :class:`~localserver.HTTPServer` for a ``TestCase`` class: ``cls.http_server``.

    The server starts in ``setUpClass`` and stops after the class's tests (a
    class cleanup). Each test starts with an empty journal and log; what the
    test added (expectations, also those of ``setUp``) is removed after it,
    while what ``setUpClass`` added stays. After each test the server's checks
    run and fail that test: a request nothing answered, a handler that raised,
    a oneshot, ordered or ``times=`` expectation of the test left unused.

    Example::

        class ClientTests(HTTPServerMixin, unittest.TestCase):
            def test_fetch(self):
                self.http_server.expect_request("/v1/items").respond_with_json([])
                self.assertEqual(fetch_items(self.http_server.url), [])
                self.assertRequestReceived("/v1/items", method="GET")

    Attributes:
        http_server: The class's running :class:`~localserver.HTTPServer`
            (``self.http_server`` in a test; ``cls.http_server`` in
            ``setUpClass`` once ``super().setUpClass()`` has run).
        http_server_options: Setting: a dict of arguments for the server's
            constructor, e.g. ``{"host": "::1"}``. Default ``{}``.
        http_server_class: Setting: the server class to run,
            :class:`~localserver.HTTPServer` (the default) or a subclass.
        http_server_checks: Setting: ``False`` skips the checks after each test
            (also settable on ``self`` during one test, or per test with
            :func:`~localserver.without_server_checks`). Default ``True``.

    Settings are checked when the class is created.
    """

    http_server = ServerSlot("http_server", HTTPServer, "HTTPServerMixin")
    http_server_options: ClassVar[Mapping[str, Any]] = {}
    http_server_class: ClassVar[type[HTTPServer]] = HTTPServer
    http_server_checks: ClassVar[bool] = True


@public
class HTTPSServerMixin(ClientCertAssertions, HTTPAssertions, ServerMixinBase):
    """A running :class:`~localserver.HTTPSServer` for a ``TestCase`` class: ``cls.https_server``.

    It behaves as :class:`HTTPServerMixin` does, over TLS: clients trust the
    server through ``self.https_server.ca_bundle`` (or ``client_ssl_context()``).
    For mutual TLS, set ``https_server_options = {"require_client_cert": True}``
    and check with :meth:`assertClientCertPresented`.

    Example::

        class SecureTests(HTTPSServerMixin, unittest.TestCase):
            def test_verified(self):
                self.https_server.expect_request("/").respond_with_data("ok")
                response = requests.get(
                    self.https_server.url, verify=self.https_server.ca_bundle, timeout=5
                )
                self.assertEqual(response.text, "ok")

    Attributes:
        https_server: The class's running :class:`~localserver.HTTPSServer`.
        https_server_options: Setting: a dict of arguments for the server's
            constructor, e.g. ``{"require_client_cert": True}``. Default ``{}``.
        https_server_class: Setting: the server class to run,
            :class:`~localserver.HTTPSServer` (the default) or a subclass.
        https_server_checks: Setting: ``False`` skips the checks after each
            test, as ``http_server_checks`` does. Default ``True``.

    Settings are checked when the class is created.
    """

    https_server = ServerSlot("https_server", HTTPSServer, "HTTPSServerMixin")
    https_server_options: ClassVar[Mapping[str, Any]] = {}
    https_server_class: ClassVar[type[HTTPSServer]] = HTTPSServer
    https_server_checks: ClassVar[bool] = True


@public
class SMTPServerMixin(MailAssertions, ServerMixinBase):
    """A running :class:`~localserver.SMTPServer` for a ``TestCase`` class: ``cls.smtp_server``.

    The server starts in ``setUpClass`` and stops after the class's tests. Each
    test starts with an empty outbox (and AUTH and fault logs); fault rules the
    test added are removed after it, those of ``setUpClass`` stay. SMTP has no
    after-test checks: assert on the mail with :meth:`assertMailSent` and friends,
    which run the server's own checks (:meth:`~localserver.SMTPServer.assert_mail_sent`
    and its siblings) and report their failures as the test's.

    Example::

        class SignupTests(SMTPServerMixin, unittest.TestCase):
            def test_welcome_mail(self):
                send_welcome("ada@example.com", smtp=self.smtp_server.addr)
                self.assertMailSent(to="ada@example.com", subject="Welcome")

    Attributes:
        smtp_server: The class's running :class:`~localserver.SMTPServer`.
        smtp_server_options: Setting: a dict of arguments for the server's
            constructor, e.g. ``{"auth": "any", "starttls": True}``. Default ``{}``.
        smtp_server_class: Setting: the server class to run,
            :class:`~localserver.SMTPServer` (the default) or a subclass.

    Settings are checked when the class is created.
    """

    smtp_server = ServerSlot("smtp_server", SMTPServer, "SMTPServerMixin", checks=False)
    smtp_server_options: ClassVar[Mapping[str, Any]] = {}
    smtp_server_class: ClassVar[type[SMTPServer]] = SMTPServer

    @classmethod
    def smtp_server_django_settings(cls) -> dict[str, Any]:
        """Django settings that send mail to this class's SMTP server.

        Django's test runner switches mail to its in-memory backend; override
        these settings once the server runs, in ``setUpClass``::

            @classmethod
            def setUpClass(cls) -> None:
                super().setUpClass()
                overrides = override_settings(**cls.smtp_server_django_settings())
                overrides.enable()
                cls.addClassCleanup(overrides.disable)

        Returns:
            For Django 6.1 and later, ``MAILERS`` with a ``"default"`` mailer
            using Django's SMTP backend with this server's ``host``, ``port``
            and ``use_ssl`` (for an SMTPS server). For earlier versions, the
            ``EMAIL_BACKEND``, ``EMAIL_HOST``, ``EMAIL_PORT``, ``EMAIL_USE_SSL``,
            ``EMAIL_USE_TLS``, ``EMAIL_HOST_USER``, ``EMAIL_HOST_PASSWORD`` and
            ``EMAIL_TIMEOUT`` settings those versions read (no AUTH, no STARTTLS).
        """
        server = cls.smtp_server
        backend = "django.core.mail.backends.smtp.EmailBackend"
        if _django_version() >= (6, 1):
            options = {"host": server.host, "port": server.port, "use_ssl": server.smtps}
            return {
                "MAILERS": {"default": {"BACKEND": backend, "OPTIONS": {**options, "timeout": 10}}}
            }
        return {
            "EMAIL_BACKEND": backend,
            "EMAIL_HOST": server.host,
            "EMAIL_PORT": server.port,
            "EMAIL_USE_SSL": server.smtps,
            "EMAIL_USE_TLS": False,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_TIMEOUT": 10,
        }


def _django_version() -> tuple[int, ...]:
    """Django's version, ``(0,)`` when it is not installed."""
    try:
        django = importlib.import_module("django")
    except ImportError:
        return (0,)
    return tuple(django.VERSION[:2])
