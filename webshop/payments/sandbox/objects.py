"""Stored Stripe objects as the API shows them: `render` (with `expand`) and `retrieve`.

Objects are kept as Stripe's JSON; keys starting with "_" are the sandbox's own notes
and never leave it.
"""
from webshop.payments.sandbox import store
from webshop.payments.sandbox.errors import StripeError, no_such


def render(obj, expand=()):
    """The object as the API shows it, with `expand` paths ("payment_intent",
    "payment_intent.latest_charge", "line_items") replaced by the objects they name."""
    out = {key: value for key, value in obj.items() if not key.startswith("_")}
    if out.get("object") == "checkout.session" and "line_items" not in expand:
        out.pop("line_items", None)
    for path in expand:
        _expand(out, path, path.split("."))
    return out


def _expand(obj, path, parts):
    head, rest = parts[0], parts[1:]
    if head not in obj:
        raise StripeError(400, f"This property cannot be expanded ({path}).", param="expand")
    value = obj[head]
    if isinstance(value, str):
        stored = store.get(value)
        if stored is None:
            raise StripeError(400, f"This property cannot be expanded ({path}).", param="expand")
        value = obj[head] = render(stored)
    if rest and isinstance(value, dict):
        _expand(value, path, rest)


def retrieve(kind, object_id, expand=()):
    """GET /v1/<kind>s/<id>: the stored object, rendered. (A Checkout Session is read
    with checkout.retrieve_session, which first expires one whose time has run out.)"""
    obj = store.get(object_id, kind)
    if obj is None:
        raise no_such(kind, object_id)
    return render(obj, expand)
