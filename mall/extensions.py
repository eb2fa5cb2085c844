"""Flask extensions, created once and bound to the app in ``create_app``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf import CSRFProtect

from mall.db import Base


class MallSession(FlaskSession):
    """Flask-SQLAlchemy's session, but an explicit ``bind`` (a connection) wins.

    Tests bind every session to one connection inside an outer transaction
    (a savepoint per test); Flask-SQLAlchemy alone would pick the engine.
    """

    def get_bind(
        self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any
    ) -> Any:
        if bind is None and isinstance(self.bind, sa.Connection):
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


db = SQLAlchemy(model_class=Base, session_options={"class_": MallSession})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
