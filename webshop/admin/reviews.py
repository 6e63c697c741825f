"""Admin: review moderation. The queue by status (pending first) and approve / reject.

Staff and admins alike. Plain forms (htmx-free: a queue is worked one click at a time);
each decision redirects back (303) with a flash; a review someone else decided first
answers 409 with the message. Every change goes through webshop.reviews.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webshop import reviews
from webshop.admin.blueprint import bp
from webshop.pagination import PageOutOfRange, page_number

STATUSES = {"pending": "Waiting", "approved": "Approved", "rejected": "Rejected"}
# What staff may do to a review with each status (a decision can be changed later).
ACTIONS = {"pending": (("approve", "Approve"), ("reject", "Reject")),
           "approved": (("reject", "Reject"),), "rejected": (("approve", "Approve"),)}


@bp.get("/reviews")
def reviews_queue():
    status = request.args.get("status") or "pending"
    if status not in STATUSES:
        abort(400, description="Filter by pending, approved or rejected.")
    try:
        page = reviews.moderation_queue(status, page_number(request.args))
    except PageOutOfRange:
        abort(404, description="That page of the review list does not exist.")
    return render_template("admin/reviews/index.html", page=page, status=status,
                           statuses=STATUSES, counts=reviews.status_counts(),
                           actions=ACTIONS[status])


@bp.post("/reviews/<int:review_id>/decision")
def review_decide(review_id):
    decision = request.form.get("decision")
    if decision not in reviews.DECISIONS:
        abort(400, description="Approve or reject the review.")
    back = url_for("admin.reviews_queue", status=request.args.get("status") or None)
    try:
        status = reviews.moderate(review_id, decision, current_user)
    except LookupError:
        abort(404, description="There is no such review.")
    except reviews.ReviewError as error:
        return render_template("admin/reviews/conflict.html", message=str(error),
                               back=back), 409
    flash(f"Review #{review_id} is {status}.", "success")
    return redirect(back, 303)
