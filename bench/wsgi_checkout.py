"""Mall exactly as ``wsgi.py`` builds it (production), with test payments allowed.

Only for the bench's "checkout (test payments)" row: a checkout needs a way to pay that
completes at once, and production never offers the test provider. The switch
(``PAYMENTS_TEST_PROVIDER_ALLOWED``) is read from no environment variable; only code such
as this module sets it. Everything else is the production configuration.
"""

from wsgi import app

app.config["PAYMENTS_TEST_PROVIDER_ALLOWED"] = True

__all__ = ["app"]
