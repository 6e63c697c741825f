"""Policy pages: staff-written Markdown shown safely, published at /pages/<slug>, linked
from every footer, edited by admins only, cached and replaced on every edit."""
import re

import pytest
from sqlalchemy import select

from tests.helpers import csrf_token, log_in_new_user
from webshop import pages
from webshop.demo.pages import seed_pages
from webshop.models import AuditLog, Page


def make_page(db, slug="returns", title="Returns", body="Send it back within **30 days**.",
              published=True):
    page = Page(slug=slug, title=title, body=body, published=published, position=1)
    db.session.add(page)
    db.session.commit()
    return page


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "<a href='javascript:alert(1)'>x</a>",
    '<img src=x onerror="alert(1)">',
    "<a href='https://x.test' onclick='alert(1)'>x</a>",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "[x](JaVaScRiPt:alert(1))",
])
def test_staff_markdown_can_carry_no_script(source):
    html = str(pages.render_body(source))
    tags = re.findall(r"<[^>]*>", html)
    assert all(re.fullmatch(r"</?(p|a)( href=\"https://x\.test\" rel=\"noopener noreferrer\")?>", t)
               for t in tags), html
    assert "<script" not in html and "<img" not in html


def test_markdown_becomes_headings_lists_and_safe_links():
    html = str(pages.render_body(
        "# Returns\n\n- one\n- two\n\n**bold** [us](https://example.com)"))
    assert "<h2>Returns</h2>" in html  # the page title is the only h1
    assert "<li>one</li>" in html and "<strong>bold</strong>" in html
    assert 'href="https://example.com"' in html and 'rel="noopener noreferrer"' in html


def test_a_published_page_is_shown_and_every_footer_links_it(client, db):
    make_page(db)
    make_page(db, slug="privacy", title="Privacy draft", published=False)

    page = client.get("/pages/returns")
    home = client.get("/").get_data(as_text=True)

    assert page.status_code == 200
    assert "<strong>30 days</strong>" in page.get_data(as_text=True)
    footer = home[home.index('<footer'):]
    assert 'href="/pages/returns">Returns</a>' in footer
    assert "Privacy draft" not in footer and "Free returns" not in footer
    assert client.get("/pages/privacy").status_code == 404
    assert client.get("/pages/nothing-here").status_code == 404


def test_a_page_asked_for_without_a_session_is_one_shared_answer(app, db):
    make_page(db)
    first, second = app.test_client().get("/pages/returns"), app.test_client().get("/pages/returns")
    assert first.status_code == 200 and "Set-Cookie" not in first.headers
    assert first.headers["Cache-Control"].startswith("public")
    assert first.headers["ETag"] == second.headers["ETag"]


def test_a_page_and_its_footer_cost_no_query_when_warm(client, db, count_queries):
    make_page(db)
    client.get("/pages/returns")
    client.get("/cart")
    with count_queries() as q:
        assert client.get("/pages/returns").status_code == 200
        assert client.get("/pages/unknown").status_code == 404
    assert q.count == 0, q.statements


def test_an_admin_writes_publishes_and_edits_and_the_shop_follows_at_once(admin, db):
    response = admin.post("/admin/pages/new", data={
        "csrf_token": admin.token, "title": "Shipping", "slug": "shipping",
        "body": "We ship in **two days**."})
    assert response.status_code == 303
    page_id = db.session.scalar(select(Page.id).where(Page.slug == "shipping"))
    assert admin.get("/pages/shipping").status_code == 404  # not published yet
    assert "/pages/shipping" not in admin.get("/").get_data(as_text=True)

    admin.post(f"/admin/pages/{page_id}/publish", data={"csrf_token": admin.token,
                                                        "published": "1"})
    assert "two days" in admin.get("/pages/shipping").get_data(as_text=True)
    assert 'href="/pages/shipping"' in admin.get("/").get_data(as_text=True)

    admin.post(f"/admin/pages/{page_id}/edit", data={
        "csrf_token": admin.token, "title": "Shipping and delivery", "slug": "shipping",
        "body": "We ship in **one day**."})
    html = admin.get("/pages/shipping").get_data(as_text=True)
    assert "one day" in html and "two days" not in html
    assert "Shipping and delivery" in admin.get("/").get_data(as_text=True)

    admin.post(f"/admin/pages/{page_id}/publish", data={"csrf_token": admin.token,
                                                        "published": "0"})
    assert admin.get("/pages/shipping").status_code == 404
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.entity_type == "page")
                                 .order_by(AuditLog.id)).all()
    assert actions == ["page.create", "page.publish", "page.update", "page.unpublish"]


def test_bad_page_input_gets_a_message_and_changes_nothing(admin, db):
    make_page(db)
    taken = admin.post("/admin/pages/new", data={
        "csrf_token": admin.token, "title": "Again", "slug": "returns", "body": "x"})
    bad_slug = admin.post("/admin/pages/new", data={
        "csrf_token": admin.token, "title": "Odd", "slug": "Not a slug!", "body": "x"})
    assert taken.status_code == 422 and "already uses that address" in taken.get_data(as_text=True)
    assert bad_slug.status_code == 422 and "lowercase letters" in bad_slug.get_data(as_text=True)
    assert admin.post("/admin/pages/999/publish", data={
        "csrf_token": admin.token, "published": "1"}).status_code == 404
    assert admin.post("/admin/pages/1/publish", data={
        "csrf_token": admin.token, "published": "yes"}).status_code == 400
    assert admin.get("/admin/pages/999/edit").status_code == 404
    assert db.session.scalar(select(Page.title).where(Page.slug == "returns")) == "Returns"


def test_staff_see_the_pages_but_only_admins_change_them(client, db):
    make_page(db)
    log_in_new_user(client, "staff@example.com", role="staff")
    token = csrf_token(client, "/admin/pages")
    listing = client.get("/admin/pages")
    assert listing.status_code == 200 and "Only administrators" in listing.get_data(as_text=True)
    assert client.get("/admin/pages/new").status_code == 403
    assert client.post("/admin/pages/1/publish",
                       data={"csrf_token": token, "published": "0"}).status_code == 403
    assert db.session.scalar(select(Page.published)) is True


def test_the_demo_pages_follow_the_shops_settings_and_are_seeded_once(app, db, settings):
    settings(RETURN_WINDOW_DAYS=30, SELLER_NAME="", SELLER_EMAIL="hello@shop.example")
    assert seed_pages(db.session, app.config) == {"created": 4, "existing": 0}
    db.session.commit()
    assert seed_pages(db.session, app.config) == {"created": 0, "existing": 4}
    bodies = dict(db.session.execute(select(Page.slug, Page.body)).all())
    assert set(bodies) == {"shipping", "returns", "privacy", "imprint"}
    assert "**30 days**" in bodies["returns"]
    assert "[Seller's legal name: set SELLER_NAME]" in bodies["imprint"]
    assert "hello@shop.example" in bodies["imprint"]
    assert re.search(r"€\d+\.\d\d", bodies["shipping"])
