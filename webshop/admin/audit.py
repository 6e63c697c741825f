"""Admin: the audit log, filtered by kind of entity and by actor."""
from flask import abort, render_template, request

from webshop.admin.blueprint import bp
from webshop.pagination import PageOutOfRange, page_number
from webshop.reports import audit

AUDIT_PER_PAGE = 50


@bp.get("/audit")
def audit_log():
    entity_type = (request.args.get("entity") or "").strip()[:40]
    actor = (request.args.get("actor") or "").strip()[:254]
    try:
        page = audit.audit_entries(entity_type or None, actor or None, page_number(request.args),
                                   AUDIT_PER_PAGE)
    except PageOutOfRange:
        abort(404, description="That page of the audit log does not exist.")
    return render_template(
        "admin/audit/index.html", page=page, entity_type=entity_type, actor=actor,
        entity_types=audit.entity_types(),
        link_args={"entity": entity_type or None, "actor": actor or None})
