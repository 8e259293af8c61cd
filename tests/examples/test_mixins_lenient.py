"""Lenient mode for a unittest class (docs/mixins.rst)."""

import unittest

import pytest
import requests

from localserver import HTTPServerMixin

# This suite's pytest configuration makes warnings errors: this file expects one.
pytestmark = pytest.mark.filterwarnings("ignore::localserver.LenientModeWarning")


class WeatherClientTest(HTTPServerMixin, unittest.TestCase):
    http_server_options = {"strict": False}

    def test_probe(self):
        # Nothing expects it: the test passes, with a LenientModeWarning that says so.
        response = requests.get(self.http_server.url_for("/health"), timeout=5)
        self.assertEqual(response.status_code, 500)
