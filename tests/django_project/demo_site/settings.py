"""Settings of the demo project: no models, an in-memory database, one app."""

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
INSTALLED_APPS = ["shop"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "demo_site.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
DEFAULT_FROM_EMAIL = "shop@example.com"
# Where the shop charges cards; tests point it at their own HTTP server.
PAYMENT_API_URL = "https://payments.invalid"
STATIC_URL = "/static/"
