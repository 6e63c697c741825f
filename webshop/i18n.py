"""Languages: the storefront in English (the default) and German, money and dates per locale.

Which language a page is in:

1. `?lang=de` (or `en`) in the URL: the switcher's links say so. Once a page came with
   `?lang=`, every link `url_for` writes on it carries the same `lang` (url_defaults),
   so a shopper stays in the language chosen without a cookie: the URL alone tells the
   page, and shared caches keep working (a cookie would make every page private).
2. else the browser's Accept-Language (best match of LANGUAGES), and the answer says
   `Vary: Accept-Language`, so a shared cache keeps one copy per language;
3. else English.

Cached HTML (webshop.catalog_cache's page kinds) is keyed by `cache_tag()`: the locale,
whether it came from the URL (such pages' links carry `lang`), and the display currency
the shopper chose, if any (webshop.web.display_currency). Outside a request
(emails, the worker) the locale is the default unless `flask_babel.force_locale` says
otherwise (an order's emails use the order's language).

Admin pages stay English: they carry no `lang` and their templates are not translated.

The catalogue in webshop/translations/<lang>/LC_MESSAGES/messages.po is compiled to
messages.mo by `make translations` (and `make venv`, and the Docker build); a process
that finds a .po newer than its .mo (a fresh clone) compiles it at start-up.
"""
import functools
import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from babel import Locale, dates as babel_dates, numbers as babel_numbers
from flask import current_app, g, has_app_context, has_request_context, request, url_for
from flask_babel import Babel, get_locale, get_translations, gettext
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header
from jinja2 import pass_context
from markupsafe import Markup

from webshop.money import exponent

LANGUAGES = ("en", "de")
DEFAULT = "en"
NAMES = {"en": "English", "de": "Deutsch"}
PARAM = "lang"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
# Endpoints whose links keep the visitor's `?lang=`: the storefront, not admin or files.
_KEEPS_LANG = ("shop.", "auth.")
_NO_LANG = frozenset({"shop.media", "shop.robots", "shop.sitemap"})
# The query value a page cannot be opened without (a guest's signed link to an order),
# which the switchers keep. These pages are private: never in the shared page cache.
_NEEDED_QUERY = {"shop.order_status": "token", "shop.checkout_cancelled": "token"}


def _url_language():
    lang = request.args.get(PARAM)
    return lang if lang in LANGUAGES else None


# One Locale object per language: what get_locale() returns is then the same object on
# every request, so the caches keyed by it (money, translations, fragments) find it by
# identity instead of comparing Locales field by field.
LOCALES = {code: Locale.parse(code) for code in LANGUAGES}


def select_locale():
    if not has_request_context() or request.blueprint == "admin":  # admin stays English
        return LOCALES[DEFAULT]
    return LOCALES[_url_language() or _browser_language(request.headers.get("Accept-Language"))]


@functools.lru_cache(maxsize=1024)
def _browser_language(header):
    """The best of LANGUAGES for an Accept-Language header (parsed once per distinct one:
    browsers send a handful), else the default."""
    return parse_accept_header(header, LanguageAccept).best_match(LANGUAGES) or DEFAULT


def locale():
    """get_locale(), cheaper: Flask-Babel 4 keeps the locale it chose in g._flask_babel
    (force_locale replaces it there), and a page asks some thirty times."""
    if has_app_context():
        chosen = getattr(g.get("_flask_babel"), "babel_locale", None)
        if chosen is not None:
            return chosen
    return get_locale()


def current():
    """The language of this request or email ("en" or "de")."""
    chosen = locale()
    return chosen.language if chosen is not None else DEFAULT


def cache_tag():
    """What cached HTML of this request differs by: its language, and `+url` when the
    language came from the URL (such a page's links carry `lang`); then the display
    currency's tag when the shopper chose one (webshop.web.display_currency sets it)."""
    if not has_request_context():
        return DEFAULT
    tag = current() + ("+url" if _url_language() else "")
    currency = g.get("display_currency_tag")
    return f"{tag}:{currency}" if currency else tag


def keeps_query(endpoint):
    """Whether links to `endpoint` keep the visitor's ?lang= (and ?currency=): the
    storefront's pages, not admin or files."""
    return bool(endpoint) and endpoint.startswith(_KEEPS_LANG) and endpoint not in _NO_LANG


def switch_url(lang):
    """This page in `lang`."""
    return page_url_with(PARAM, lang)


def page_url_with(name, value):
    """This page with `name=value`: the same path, that parameter and nothing else from
    the query (a cached page must not carry one visitor's query string to the next)."""
    endpoint = request.endpoint
    # The app's link builder when it registered one (templates' remembered url_for,
    # webshop.web.template_memo): the switchers ask for the same links on every page.
    build = current_app.extensions.get("webshop.url_for") or url_for
    if not keeps_query(endpoint):
        return build("shop.home", **{name: value})
    return build(endpoint, **{**page_values(), name: value})


def page_values():
    """What names this page for the switchers: its path values, and the query value it
    cannot be opened without (a guest's order token), if it has one."""
    values = dict(request.view_args or {})
    needed = _NEEDED_QUERY.get(request.endpoint)
    if needed and request.args.get(needed):
        values[needed] = request.args[needed]
    return values


def _keep_language(endpoint, values):
    if PARAM not in values and keeps_query(endpoint) and has_request_context():
        lang = _url_language()
        if lang:
            values[PARAM] = lang


def _vary(response):
    """A page whose language came from Accept-Language differs by it."""
    if not _url_language() and not g.get("edge_stateless", False):
        response.vary.add("Accept-Language")
    return response


def _N(text):
    """Marks a msgid that is translated later (pybabel extract -k _N)."""
    return text


SORT_LABELS = (_N("Best match"), _N("Newest"), _N("Price: low to high"),
               _N("Price: high to low"), _N("Name: A to Z"), _N("Top rated"))
STOCK_TEXTS = {"sold_out": _N("Sold out"), "in_stock": _N("In stock")}
ORDER_STATUSES = (_N("Pending"), _N("Paid"), _N("Dispatched"), _N("Delivered"), _N("Cancelled"),
                  _N("Refunded"))


def stock_text(level, stock):
    """What a shopper reads about a stock level (catalog.stock_state's), in their language."""
    if level == "low":
        return gettext("Only %(num)d left", num=stock)
    return gettext(STOCK_TEXTS.get(level, level))


def money(amount, currency=None):
    """Integer minor units as the locale writes them: 1234 EUR is "€12.34" in English and
    "12,34 €" in German (with a no-break space)."""
    if amount is None:
        return ""
    currency = (currency or current_app.config["SHOP_CURRENCY"]).upper()
    return _money(int(amount), currency, locale() or LOCALES[DEFAULT])


@functools.lru_cache(maxsize=4096)
def _money(amount, currency, locale):
    """Babel takes ~0.1 ms an amount; a page repeats the same few prices (a cart, a list)."""
    value = Decimal(amount).scaleb(-exponent(currency))
    return babel_numbers.format_currency(value, currency, locale=locale)


def format_date(value, format="medium"):
    """A date (or a timestamp's date) as the locale writes it: "29 Nov 2026" is
    "Nov 29, 2026" in English and "29.11.2026" in German."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        return str(value)
    return _date(value, format, current())


@functools.lru_cache(maxsize=4096)
def _date(value, format, language):
    """Babel takes ~0.1 ms a date; a page of reviews or orders repeats the same days."""
    return babel_dates.format_date(value, format=format, locale=language)


def compile_catalogues(force=False):
    """Compile each messages.po into messages.mo when the .mo is missing or older."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    compiled = []
    for po in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalogue = read_po(source, locale=po.parent.parent.name)
        partial = mo.with_name(f".{mo.name}.{os.getpid()}")  # whole or not at all: other
        with partial.open("wb") as target:                   # workers may be reading it
            write_mo(target, catalogue)
        os.replace(partial, mo)
        compiled.append(mo)
    return compiled


MESSAGES_MAX = 4096


def template_gettext():
    """Templates' `_()` and `gettext()`: what Flask-Babel installs in Jinja (the
    translation, Markup when autoescaping, then `%` with the variables, always), with
    each translation remembered per locale: a page says `_()` some twenty times, and
    each call through Flask-Babel's lookups cost more than the rest of its line."""
    remembered = {}

    @pass_context
    def translate(context, msgid, **variables):
        autoescape = context.eval_ctx.autoescape
        key = (locale(), msgid, autoescape)
        text = remembered.get(key)
        if text is None:
            text = get_translations().ugettext(msgid)
            if autoescape:
                text = Markup(text)
            if len(remembered) >= MESSAGES_MAX:  # msgids held in variables (labels)
                remembered.clear()
            remembered[key] = text
        return text % variables
    return translate


def init_app(app):
    try:
        compile_catalogues()
    except OSError as error:  # a read-only install: the build should have compiled them
        app.logger.warning("Could not compile the translations: %s", error)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["gettext"] = app.jinja_env.globals["_"] = template_gettext()
    app.url_defaults(_keep_language)
    # What _keep_language reads: links remembered by templates' url_for differ by it.
    app.extensions.setdefault("webshop.link_context", []).append(_url_language)
    app.after_request(_vary)
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.globals["lang_switch_url"] = switch_url
    app.jinja_env.globals["page_values"] = page_values
    app.jinja_env.globals["language_names"] = NAMES
    app.jinja_env.globals["current_language"] = current
    app.jinja_env.globals["stock_text"] = stock_text
    # A msgid held in a variable (a form's label, an error page's text), with no %-formatting
    # ("Rate (%)" is safe) and as plain text, so the template escapes it (lazy labels too).
    app.jinja_env.globals["translated"] = lambda text: gettext(str(text))
