"""Policy pages (shipping, returns, privacy, imprint): what shoppers read and staff write.

The body is Markdown written by staff, which makes it an XSS surface: it is rendered
with markdown-it-py with raw HTML switched off (any tag typed is shown as text), and
the result is then cleaned by nh3 (the Ammonia sanitiser) against a short allowlist of
tags, attributes and link schemes, so neither a `javascript:` link nor an event handler
can reach a shopper even if the renderer had a bug.

Pages are read through the catalogue cache (webshop.catalog.cached): every change here
replaces the catalogue version, so the footer and the page itself follow at once.
Each changing function takes plain values and the acting user, writes an audit entry
and commits once; or raises PageError having changed nothing.
"""
import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import func, select

from webshop import catalog
from webshop.extensions import db
from webshop.models.audit import record
from webshop.models.pages import Page
from webshop.validation import ValidationError

SLUG_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-"
MAX_BODY = 50_000
ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


class PageError(ValidationError):
    """A page change that cannot be made; str(error) is what staff read."""


def render_body(text):
    """Markdown to HTML that is safe to show shoppers (see the module's docstring).
    Headings start at h2: the page's title is its h1."""
    html = _markdown.render(text or "")
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return Markup(nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                            url_schemes=URL_SCHEMES, link_rel="noopener noreferrer"))


# --- what shoppers read (cached) -----------------------------------------------------------

def footer_pages():
    """[{slug, title}] of the published pages in display order: the footer of every page
    reads it, so it comes with the categories (catalog.navigation: no query when warm,
    and none of its own on a miss)."""
    return catalog.navigation()["pages"]


def published_page(slug):
    """{slug, title, html, updated_at} of a published page, or None."""
    if slug not in {p["slug"] for p in footer_pages()}:
        return None  # answered from the cache: unknown slugs cost no query
    page = db.session.scalar(select(Page).where(Page.slug == slug, Page.published.is_(True)))
    if page is None:
        return None
    return {"slug": page.slug, "title": page.title, "html": render_body(page.body),
            "updated_at": page.updated_at}


# --- what staff write ------------------------------------------------------------------

def all_pages():
    """Every page, published or not, for the admin list."""
    return list(db.session.scalars(select(Page).order_by(Page.position, Page.title)))


def _values(slug, title, body, page_id=None):
    title = (title or "").strip()
    if not title:
        raise PageError("Enter the page's title.", "title")
    if len(title) > 120:
        raise PageError("A title has at most 120 characters.", "title")
    slug = (slug or "").strip().lower()
    if (not slug or len(slug) > 80 or set(slug) - set(SLUG_CHARS)
            or slug.startswith("-") or slug.endswith("-") or "--" in slug):
        raise PageError("Use lowercase letters, digits and single hyphens, e.g. returns.", "slug")
    body = (body or "").replace("\r\n", "\n")
    if len(body) > MAX_BODY:
        raise PageError(f"A page has at most {MAX_BODY:,} characters.", "body")
    taken = select(Page.id).where(Page.slug == slug)
    if page_id is not None:
        taken = taken.where(Page.id != page_id)
    if db.session.scalar(taken.limit(1)) is not None:
        raise PageError("Another page already uses that address. Choose another.", "slug")
    return slug, title, body


def _commit():
    catalog.mark_changed(db.session)  # the footer and the page are cached with the catalogue
    db.session.commit()


def create_page(actor, slug, title, body, published=False):
    """A new page, listed last; commits and returns it."""
    slug, title, body = _values(slug, title, body)
    position = db.session.scalar(select(func.coalesce(func.max(Page.position) + 1, 1)))
    page = Page(slug=slug, title=title, body=body, published=bool(published), position=position)
    db.session.add(page)
    db.session.flush()
    record(db.session, "page.create", "page", page.id, actor,
           after={"slug": slug, "title": title, "published": page.published})
    _commit()
    return page


def update_page(page_id, actor, slug, title, body):
    """Change a page's address, title and text; commits and returns it."""
    page = db.session.get(Page, page_id, with_for_update=True, populate_existing=True)
    if page is None:
        raise LookupError(f"No page {page_id}")
    try:
        slug, title, body = _values(slug, title, body, page.id)
    except PageError:
        db.session.rollback()
        raise
    before = {"slug": page.slug, "title": page.title, "body_length": len(page.body)}
    after = {"slug": slug, "title": title, "body_length": len(body)}
    if (page.slug, page.title, page.body) != (slug, title, body):
        page.slug, page.title, page.body = slug, title, body
        record(db.session, "page.update", "page", page.id, actor, before=before, after=after)
    _commit()
    return page


def set_published(page_id, actor, published):
    """Publish or unpublish a page; commits and returns it."""
    page = db.session.get(Page, page_id, with_for_update=True, populate_existing=True)
    if page is None:
        raise LookupError(f"No page {page_id}")
    if page.published != bool(published):
        record(db.session, "page.publish" if published else "page.unpublish", "page", page.id,
               actor, before={"published": page.published}, after={"published": bool(published)})
        page.published = bool(published)
    _commit()
    return page
