"""Flask extensions, created unbound here and bound in create_app()."""
from flask import current_app, g, request
from flask_caching import Cache
from flask_htmx import HTMX
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints make migrations portable (SQLite batch mode needs the names).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()


class ShopCSRFProtect(CSRFProtect):
    """Flask-WTF's CSRFProtect with one seam: a request that the web layer's registered
    check accepts needs no token (a shopper's first add-to-cart from our own origin,
    before any session exists: webshop.web.first_post). Every other POST is checked as
    Flask-WTF checks it."""

    def protect(self, apply_exemptions=False):
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return None  # what Flask-WTF concludes too, after looking up the view's exemptions
        accepts = current_app.extensions.get("webshop.csrf_accepts_without_token")
        if (apply_exemptions and accepts is not None
                and accepts()):
            g.csrf_valid = True
            return None
        return super().protect(apply_exemptions=apply_exemptions)


csrf = ShopCSRFProtect()
cache = Cache()
htmx = HTMX()
