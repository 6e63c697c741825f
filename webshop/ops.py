"""Operations endpoints for load balancers and monitoring."""
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from webshop.extensions import cache, db

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up and answering; checks nothing else on purpose."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready for traffic: the database answers, and Redis too where one is configured."""
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        db.session.rollback()
        checks["database"] = f"error: {exc.__class__.__name__}"
    if current_app.config.get("REDIS_URL"):
        try:
            cache.cache._write_client.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {exc.__class__.__name__}"
    ready = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), (200 if ready else 503)
