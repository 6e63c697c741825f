"""What the tests of the sandbox's delayed changes share: waiting for a webhook of one
type, making a delayed change due at once, and a session paid with a given test card."""
import json

from tests.helpers import wait_until
from tests.sandbox_helpers import pay, session_params, verified
from webshop.models.payments import SandboxObject


def delivered(app, receiver, event_type, count=1):
    """The verified deliveries of `event_type`, once at least `count` have arrived."""
    assert wait_until(lambda: len(receiver.events(event_type)) >= count), (
        f"waiting for {count} x {event_type}; got {[e['type'] for e in receiver.events()]}")
    return [verified(app, headers, body) for headers, body in list(receiver.deliveries)
            if json.loads(body)["type"] == event_type]


def stored(db, object_id):
    """The sandbox's object as the database holds it now (with its private notes)."""
    db.session.expire_all()
    return db.session.get(SandboxObject, object_id).data


def make_due_now(db, object_id):
    """Bring every delayed change noted on the object forward to now, as if its time had
    come while nobody (and no timer) was looking."""
    row = db.session.get(SandboxObject, object_id)
    due = row.data.get("_due") or []
    assert due, f"nothing is due on {object_id}"
    row.data = {**row.data, "_due": [{**entry, "at": 0} for entry in due]}
    db.session.commit()


def paid_intent(stripe_client, client, card, **overrides):
    """A session paid on the hosted page with `card`; returns its PaymentIntent."""
    session = stripe_client.v1.checkout.sessions.create(params=session_params(**overrides))
    response = pay(client, session, card)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent"]}).payment_intent
