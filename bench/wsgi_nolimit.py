"""Mall exactly as ``wsgi.py`` builds it, with the rate limiter switched off.

Only for the bench's "search (rate limit off)" row: the search page allows 60 requests a
minute per client address, and every ``wrk`` connection comes from 127.0.0.1, so in the
production configuration nearly all search requests measure the 429 page.
"""

from mall.extensions import limiter
from wsgi import app

limiter.enabled = False

__all__ = ["app"]
