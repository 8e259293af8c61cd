"""The public names are a contract: exactly these, and nothing private leaks."""

from __future__ import annotations

import localserver


def test_all_lists_the_public_names() -> None:
    """__all__ holds the documented public names, each importable."""
    expected = {
        "CheckError",
        "ClientCertificateError",
        "HandlerError",
        "MailAssertionError",
        "MissingExtraError",
        "ProtocolViolationError",
        "RecordingFormatError",
        "TemplateError",
        "TemplateRenderError",
        "UpstreamError",
        "RequestOrderError",
        "Chunked",
        "ClientCertificate",
        "Delay",
        "Expectation",
        "ExpectationError",
        "Fault",
        "HTTPSServer",
        "HTTPSServerMixin",
        "HTTPServer",
        "HTTPServerMixin",
        "HandlerType",
        "LenientModeWarning",
        "LocalServerError",
        "NoHandlerError",
        "OutOfOrderError",
        "ProtocolMismatchError",
        "ReceivedMail",
        "RecordedRequest",
        "RequestCountError",
        "RequestMatcher",
        "SequenceExhaustedError",
        "SMTPServer",
        "SMTPServerMixin",
        "ServerThreadError",
        "TestAuthority",
        "UnmatchedRequestError",
        "UnmetExpectationError",
        "WSGIServer",
        "__version__",
        "without_server_checks",
    }
    assert set(localserver.__all__) == expected
    for name in localserver.__all__:
        assert hasattr(localserver, name), name


def test_no_public_module_besides_the_package() -> None:
    """Implementation modules are private (leading underscore)."""
    import pkgutil

    names = [m.name for m in pkgutil.iter_modules(localserver.__path__)]
    assert all(n.startswith("_") or n in {"compat", "pytest_plugin"} for n in names), names


def test_importing_starts_nothing() -> None:
    """Importing the package starts no thread."""
    import subprocess
    import sys

    code = "import threading, localserver; print(threading.active_count())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"


def test_version_matches_the_package_metadata() -> None:
    """setup.cfg spells the version out (old pip cannot import the package to read it)."""
    import configparser
    from pathlib import Path

    config = configparser.ConfigParser()
    config.read(Path(__file__).resolve().parent.parent / "setup.cfg")
    assert config["metadata"]["version"] == localserver.__version__
