"""The bench affiliate's account: ``python -m bench.affiliate_account`` (in ``mall_env``).

Makes (once) a verified account ``AFFILIATE_EMAIL`` and gives it the affiliate
``BENCH-1``, the one ``bench/affiliates.py`` sends a tenth of all clicks to, so the
dashboard scenario signs in as an affiliate with the most clicks of the mall.
"""

from __future__ import annotations

import sqlalchemy as sa

AFFILIATE_EMAIL = "bench-affiliate@example.com"
AFFILIATE_PASSWORD = "bench-affiliate-password-1"
DASHBOARD_CODE = "BENCH-1"


def main() -> None:
    from affiliates.models import Affiliate
    from mall import create_app
    from mall.accounts.services import create_user, find_user_by_email
    from mall.extensions import db

    app = create_app()
    with app.app_context():
        user = find_user_by_email(AFFILIATE_EMAIL) or create_user(
            AFFILIATE_EMAIL, AFFILIATE_PASSWORD, name="Bench Affiliate", verified=True
        )
        db.session.execute(
            sa.update(Affiliate).where(Affiliate.code == DASHBOARD_CODE).values(user_id=user.id)
        )
        db.session.commit()


if __name__ == "__main__":
    main()
