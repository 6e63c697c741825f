"""SQL statements per storefront page, counted in-process with the Flask test client."""
import os
import sys

from benchlib.settings import BENCH_ENV, CACHED, MODE_VARS, NO_CACHE, PAGE_OFF, ROOT


def count_queries(paths):
    """{(mode, path): (statements, status)} for the second request of each path.

    Modes: page cache off (PAGE_CACHE False after create_app; data still cached),
    cached (the default) and, for information, no cache at all (CACHE_DISABLED).
    """
    os.environ.update(BENCH_ENV)
    for name in MODE_VARS:
        os.environ.pop(name, None)
    sys.path.insert(0, str(ROOT))
    import warnings

    from sqlalchemy import event

    from webshop import create_app
    from webshop.extensions import db

    warnings.filterwarnings("ignore", message="Flask-Caching: CACHE_TYPE is set to NullCache")
    import logging
    logging.getLogger("webshop").setLevel(logging.ERROR)  # start-up notices, not figures
    counts = {}
    setups = ((PAGE_OFF, {}, False), (CACHED, {}, True), (NO_CACHE, {"CACHE_DISABLED": True}, True))
    for mode, overrides, page_cache in setups:
        app = create_app({"WEBSHOP_ENV": "production", **overrides})
        app.config["PAGE_CACHE"] = page_cache
        with app.app_context():
            engine = db.engine
        statements = []

        def before(conn, cursor, statement, *args):
            statements.append(statement)

        # The requests run outside any app context of ours: inside one, Flask would reuse
        # it, and `g` (which holds the catalogue version) would leak between requests.
        event.listen(engine, "before_cursor_execute", before)
        try:
            client = app.test_client()  # keeps its session cookie: a returning browser
            for path in paths:
                client.get(path)  # warm: cache, pool, session cookie
                statements.clear()
                response = client.get(path)
                counts[(mode, path)] = (len(statements), response.status_code)
        finally:
            event.remove(engine, "before_cursor_execute", before)
            engine.dispose()
    return counts
