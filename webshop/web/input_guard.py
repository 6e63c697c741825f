"""Malformed input is refused at the door: a 400 with a message, before any view runs.

No form or link of the shop ever sends a NUL character or bytes that are not UTF-8,
yet either would reach the database (PostgreSQL refuses NUL in text: a 500, or a CSV
export broken part-way) or break form parsing. So before anything else reads the
request, its path, query string and form fields are checked:

- a NUL character anywhere (also percent-encoded as %00) answers 400;
- text that is not valid UTF-8 (raw or percent-encoded) answers 400;
- a number in the path beyond the database's integers (`<int:...>` rules) matches no
  route: 404, as for any id that names nothing;
- a body declared larger than MAX_CONTENT_LENGTH answers 413 before anything reads it
  (whatever its type: a JSON body would otherwise meet the CSRF check first).

Values that are well-formed but wrong (an unknown choice, a number out of range) are
each view's and form's business: they answer 400 or 422 with a message of their own.
"""
from urllib.parse import unquote_to_bytes

from flask import abort, request
from werkzeug.routing import IntegerConverter

from webshop.validation import MAX_INT

# The largest id a path may name: no row of either database has a larger one.
MAX_PATH_INT = MAX_INT

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
NUL_MESSAGE = "The request contains a NUL character, which no page of this shop sends."
UTF8_MESSAGE = "The request is not valid UTF-8 text."


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` for ids: ASCII digits only, at most MAX_PATH_INT (else no match: 404)."""

    regex = r"[0-9]{1,18}"

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_PATH_INT, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app):
    """Install the guard. Call before any blueprint is registered: the bounded `int`
    converter applies to the rules added after it."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    # First of all before_request functions: CSRF protection parses the form, and a
    # body that is not UTF-8 would fail there with a 500.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_malformed_input)


def refuse_malformed_input():
    limit, length = request.max_content_length, request.content_length
    if limit is not None and length is not None and length > limit:
        abort(413)  # refused by its declared length, before anything reads it
    problem = _path_problem(request.environ.get("PATH_INFO", ""))
    query_problem = _encoded_problem(request.query_string)
    if query_problem:
        # The error page reads the query too (the search box): let it find none.
        request.query_string = b""
        request.__dict__.pop("args", None)
    problem = problem or query_problem or _body_problem()
    if problem:
        abort(400, description=problem)


def _path_problem(path_info):
    """PATH_INFO as the server decoded it (WSGI: bytes as latin-1)."""
    try:
        path = path_info.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return UTF8_MESSAGE
    return NUL_MESSAGE if "\x00" in path else None


def _encoded_problem(raw):
    """A query string or urlencoded body: valid UTF-8 before and after %-decoding, no NUL."""
    if not raw:
        return None
    try:
        raw.decode("utf-8")
        text = unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return UTF8_MESSAGE
    return NUL_MESSAGE if "\x00" in text else None


def _body_problem():
    if request.method not in ("POST", "PUT", "PATCH", "DELETE") or request.mimetype not in FORM_TYPES:
        return None
    if request.mimetype == "application/x-www-form-urlencoded":
        # Read (and keep) the raw body: the form is parsed from it afterwards. Its size is
        # bounded by MAX_CONTENT_LENGTH (a 413 when larger).
        problem = _encoded_problem(request.get_data(cache=True))
        if problem:  # nothing after this may parse it
            request.__dict__["form"] = request.parameter_storage_class()
            request.__dict__["files"] = request.parameter_storage_class()
        return problem
    # multipart: the parser replaces bytes that are not UTF-8; a NUL would go through.
    texts = [text for key, values in request.form.lists() for text in (key, *values)]
    texts += [f"{key}{upload.filename or ''}" for key, upload in request.files.items(multi=True)]
    return NUL_MESSAGE if any("\x00" in text for text in texts) else None
