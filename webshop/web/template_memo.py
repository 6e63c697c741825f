"""What templates remember between requests: the links they build and the parts of the
layout that every page repeats.

A storefront page writes some thirty links and the same header and footer as every
other page; building a link with `url_for` costs more than writing the markup around it,
and the layout alone was a third of an uncached product page. So, per app and process:

- `url_for` in templates (`memoized_url_for`) keeps each link it built. A link follows
  from its endpoint and values, the script root, and what the app's url_defaults read
  from the request: each such reader is registered in
  app.extensions["webshop.link_context"] (i18n's `?lang=`, display_currency's
  `?currency=`), and its value is part of the key (`link_context`). Relative endpoints, unusual values (`_external=True` among
  them: such a link names the host) and calls outside a request are built as usual.
- `remembered(template, **inputs)` renders a fragment once per language, link context
  and `inputs`, and keeps it. The fragment may read only its inputs, the app's constant
  globals (shop_name, the slots' markers...), `_()` and `url_for`: anything else it
  read would be remembered from the first request that rendered it. base.html's header
  and footer are such fragments (templates/_site_header.html, _site_footer.html).

Both are bounded (emptied when full): keys made of what visitors type (a search, a
query string) cannot grow them without limit.
"""
from flask import current_app, g, has_request_context, request, url_for
from jinja2 import pass_context
from markupsafe import Markup

from webshop import i18n

# Values a remembered link may hold: each type writes itself one way (True would be
# "True", yet equal to 1 as a key; floats and lists are not remembered).
_PLAIN_VALUES = (str, int, type(None))
LINKS_MAX = 10_000
FRAGMENTS_MAX = 2_000


class Memo(dict):
    """A dict of what was made once, emptied when it holds `limit` entries."""

    def __init__(self, limit):
        super().__init__()
        self.limit = limit

    def keep(self, key, value):
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value


def link_context():
    """This request's link context: (script root, each registered reader's value),
    computed once per request."""
    context = g.get("link_context")
    if context is None:
        readers = current_app.extensions.get("webshop.link_context", ())
        context = g.link_context = (request.script_root, *(read() for read in readers))
    return context


def memoized_url_for(app):
    """`app.url_for` for templates, remembering the links it built (module docstring)."""
    build, links = app.url_for, Memo(LINKS_MAX)

    def url_for(endpoint, **values):
        if endpoint[:1] == "." or not has_request_context():
            return build(endpoint, **values)
        for value in values.values():
            if type(value) not in _PLAIN_VALUES:
                return build(endpoint, **values)
        key = (endpoint, link_context(), *sorted(values.items()))
        url = links.get(key)
        return url if url is not None else links.keep(key, build(endpoint, **values))
    return url_for


def remembered_url_for(endpoint, **values):
    """The app's remembering url_for, for Python code that builds links for templates
    (media_url); outside a request, Flask's own."""
    if not has_request_context():
        return url_for(endpoint, **values)
    return current_app.extensions["webshop.url_for"](endpoint, **values)


def _frozen(value):
    """A hashable stand-in for an input (dicts and lists, as the footer's pages are)."""
    if isinstance(value, dict):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(item) for item in value)
    return value


def remembered_fragments():
    """The `remembered(template, **inputs)` global (module docstring)."""
    fragments = Memo(FRAGMENTS_MAX)

    @pass_context
    def remembered(jinja_context, template, **inputs):
        def render():
            variables = jinja_context.get_all()
            variables.update(inputs)
            return Markup(jinja_context.environment.get_template(template).render(variables))

        if not has_request_context():
            return render()
        key = (template, i18n.locale(), link_context(), _frozen(inputs))
        html = fragments.get(key)
        return html if html is not None else fragments.keep(key, render())
    return remembered


def init_app(app):
    app.extensions.setdefault("webshop.link_context", [])
    app.jinja_env.globals["url_for"] = app.extensions["webshop.url_for"] = memoized_url_for(app)
    app.jinja_env.globals["remembered"] = remembered_fragments()
