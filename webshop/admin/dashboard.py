"""The admin home: today's figures, what needs doing, and the last 30 days of sales."""
from flask import render_template

from webshop.admin.blueprint import bp
from webshop.reports.dashboard import figures


@bp.get("/")
def dashboard():
    return render_template("admin/dashboard.html", **figures())
