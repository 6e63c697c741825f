"""The admin's list pages (orders, customers, products): one URL serves the whole page or,
for htmx active search, only its results fragment (a template the page itself includes)."""
from flask import abort, render_template, request

from webshop.extensions import htmx
from webshop.pagination import PageOutOfRange, page_number


def list_page(load, *, page_template, results_template, target, missing, page_context=None):
    """Render one page of a list: ?page= read (a 400 unless a whole number from 1 up),
    `load(page)` -> the template's context (it raises PageOutOfRange past the last page:
    a 404 saying `missing`), then the results fragment when htmx targets the element
    with id `target`, else the full page with `page_context()` added (what only the full
    page shows: filter choices and the like)."""
    page = page_number(request.args)
    try:
        context = load(page)
    except PageOutOfRange:
        abort(404, description=missing)
    # Active search asks for the results only; history restores and links get the page.
    if htmx and htmx.target == target:
        return render_template(results_template, **context)
    return render_template(page_template, **context, **(page_context() if page_context else {}))
