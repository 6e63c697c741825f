"""The admin home: today's figures, what needs doing, and the last 30 days of sales."""
from flask import render_template

from webshop import reports
from webshop.admin import bp


@bp.get("/")
def dashboard():
    return render_template("admin/dashboard.html", **reports.dashboard())
