"""Admin: the policy pages (shipping, returns, privacy, imprint) and their publishing.

Staff see the list; writing and publishing are for admins, as these are the shop's
legal texts. Routes parse the request, call one webshop.pages function with the acting
user, and render; form pages answer 422 when a form has errors and 303 after a POST.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from webshop import pages
from webshop.admin.blueprint import admin_only, bp
from webshop.extensions import db
from webshop.models.pages import Page
from webshop.web.forms import show_error


class PageForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired(), Length(max=120)])
    slug = StringField("Address", validators=[InputRequired(), Length(max=80)])
    body = TextAreaField("Text (Markdown)", validators=[Length(max=pages.MAX_BODY)])


@bp.get("/pages")
def pages_index():
    return render_template("admin/pages/index.html", rows=pages.all_pages(),
                           can_edit=current_user.is_admin)


@bp.route("/pages/new", methods=["GET", "POST"])
@admin_only
def page_new():
    form = PageForm()
    if form.validate_on_submit():
        try:
            page = pages.create_page(current_user, form.slug.data, form.title.data,
                                     form.body.data)
        except pages.PageError as error:
            show_error(form, error)
        else:
            flash(f"The page {page.title} was created. It is not published yet.", "success")
            return redirect(url_for("admin.page_edit", page_id=page.id), 303)
    return _form_page(form, None)


@bp.route("/pages/<int:page_id>/edit", methods=["GET", "POST"])
@admin_only
def page_edit(page_id):
    page = db.session.get(Page, page_id)
    if page is None:
        abort(404, description="There is no such page.")
    form = PageForm(obj=page if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            page = pages.update_page(page_id, current_user, form.slug.data, form.title.data,
                                     form.body.data)
        except LookupError:
            abort(404, description="There is no such page.")
        except pages.PageError as error:
            show_error(form, error)
        else:
            flash(f"The page {page.title} was saved.", "success")
            return redirect(url_for("admin.page_edit", page_id=page.id), 303)
    return _form_page(form, page)


def _form_page(form, page):
    status = 422 if form.errors or form.form_errors else 200
    preview = pages.render_body(form.body.data) if form.body.data else None
    return render_template("admin/pages/edit.html", form=form, page=page,
                           preview=preview), status


@bp.post("/pages/<int:page_id>/publish")
@admin_only
def page_publish(page_id):
    published = request.form.get("published")
    if published not in ("0", "1"):
        abort(400, description="Publish (1) or unpublish (0) the page.")
    try:
        page = pages.set_published(page_id, current_user, published == "1")
    except LookupError:
        abort(404, description="There is no such page.")
    flash(f"The page {page.title} is {'published' if page.published else 'hidden'}.", "success")
    return redirect(url_for("admin.pages_index"), 303)
