"""Logs as one JSON object per line (python-json-logger), each carrying the id of the
request, or of the job, it belongs to.

A request's id is the X-Request-ID its proxy sent (when it looks like one) or a new one;
the response carries it back, every log line written while the request runs has it, and
work the request hands to the worker keeps it (`current_request_id()` when the job is
written, `request_id_bound(...)` when it runs), so one id finds a checkout in the web logs
and its confirmation email in the worker's. LOG_FORMAT=text gives plain lines instead.
"""
import logging
import re
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

from flask import g, request
from pythonjsonlogger.json import JsonFormatter

_request_id = ContextVar("webshop_request_id", default=None)
_VALID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
_HANDLER_NAME = "webshop"


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = _request_id.get()
        return True


def configure(level="INFO", fmt="json", stream=None):
    """Send every logger's records to `stream` (stderr), formatted as `fmt` ("json" or
    "text"). Safe to call again: the shop's handler is replaced, not added twice."""
    handler = logging.StreamHandler(stream)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter(
            "{asctime}{levelname}{name}{message}{request_id}", style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root = logging.getLogger()
    for existing in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)


def current_request_id():
    return _request_id.get()


@contextmanager
def request_id_bound(value):
    """Log under `value` (a job running for the request that wrote it) until the block ends."""
    token = _request_id.set(value)
    try:
        yield
    finally:
        _request_id.reset(token)


def init_app(app):
    if not app.testing:
        configure(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])

    @app.before_request
    def bind_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _VALID.fullmatch(incoming) else uuid.uuid4().hex
        g.request_id_token = _request_id.set(g.request_id)

    @app.after_request
    def send_request_id(response):
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response

    @app.teardown_request
    def unbind_request_id(exc):
        token = g.pop("request_id_token", None)
        if token is not None:
            _request_id.reset(token)
