"""Admin: the categories (create, rename, reorder, delete when empty).

Routes parse the request, call one webshop.merchandising function with the acting user,
and render; form pages answer 422 when a form has errors and 303 after a successful POST.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webshop import merchandising
from webshop.admin.blueprint import bp
from webshop.admin.product_forms import CategoryForm, CategoryRenameForm
from webshop.web.forms import show_error
from webshop.extensions import db
from webshop.models import Category


def _categories_page(form=None, rename_forms=None, status=None):
    rows = merchandising.admin_categories()
    forms = rename_forms or {}
    for row in rows:
        if row.id not in forms:
            forms[row.id] = CategoryRenameForm(
                formdata=None, prefix=f"c{row.id}", data={"name": row.name, "slug": row.slug})
    form = form or CategoryForm(formdata=None)
    if status is None:
        has_errors = form.errors or any(f.errors for f in forms.values())
        status = 422 if has_errors else 200
    return render_template("admin/categories/index.html", rows=rows, form=form,
                           rename_forms=forms), status


@bp.route("/categories", methods=["GET", "POST"])
def categories():
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category = merchandising.create_category(
                current_user, form.name.data, form.slug.data, form.description.data)
        except merchandising.CatalogError as error:
            show_error(form, error)
        else:
            flash(f"Category {category.name} was created.", "success")
            return redirect(url_for("admin.categories"), 303)
    return _categories_page(form if request.method == "POST" else None)


@bp.post("/categories/<int:category_id>")
def category_rename(category_id):
    form = CategoryRenameForm(prefix=f"c{category_id}")
    if form.validate_on_submit():
        try:
            category = merchandising.rename_category(category_id, current_user, form.name.data,
                                                     form.slug.data)
        except LookupError:
            abort(404, description="There is no such category.")
        except merchandising.CatalogError as error:
            show_error(form, error)
        else:
            flash(f"Category {category.name} was saved.", "success")
            return redirect(url_for("admin.categories"), 303)
    if db.session.get(Category, category_id) is None:
        abort(404, description="There is no such category.")
    return _categories_page(rename_forms={category_id: form}, status=422)


@bp.post("/categories/<int:category_id>/move")
def category_move(category_id):
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400, description="Move a category up or down.")
    try:
        merchandising.move_category(category_id, direction, current_user)
    except LookupError:
        abort(404, description="There is no such category.")
    return redirect(url_for("admin.categories"), 303)


@bp.post("/categories/<int:category_id>/delete")
def category_delete(category_id):
    try:
        merchandising.delete_category(category_id, current_user)
    except LookupError:
        abort(404, description="There is no such category.")
    except merchandising.CatalogError as error:
        flash(str(error), "error")
    else:
        flash("The category was deleted.", "success")
    return redirect(url_for("admin.categories"), 303)
