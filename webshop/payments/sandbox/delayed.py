"""What Stripe does a moment after the call that caused it: a bank debit settles, a
refund fails, a dispute opens or closes.

The change is noted on a stored object as due (`_due`: action, time, arguments) in the
caller's unit of work. Once that commits, a timer thread applies it after
STRIPE_SANDBOX_ASYNC_DELAY seconds; anyone who looks at the object after its time
(retrieving it through the API, opening the payment page) applies it first. Whichever
comes first wins, exactly once: the due entry is taken off under the object's row lock.
"""
import logging
import threading
import time

from flask import current_app
from sqlalchemy import event

from webshop.extensions import db
from webshop.payments.sandbox import store
from webshop.payments.sandbox.errors import no_such
from webshop.payments.sandbox.objects import render
from webshop.payments.sandbox.webhooks import commit_and_deliver, record_event, rollback

log = logging.getLogger(__name__)

ACTIONS = {}  # name -> function(object_id, **args), run in the caller's unit of work
_PENDING = "stripe_sandbox_timers"  # db.session.info key: timers to start after commit


def action(name):
    """Register `function(object_id, **args)` as the delayed action `name`."""
    def decorator(function):
        ACTIONS[name] = function
        return function
    return decorator


def schedule(obj, name, delay=None, **args):
    """Note on `obj` (which the caller then stores) that action `name` is due in `delay`
    seconds (default STRIPE_SANDBOX_ASYNC_DELAY). Its timer starts once the caller's unit
    of work commits; nothing happens if it rolls back."""
    if delay is None:
        delay = float(current_app.config["STRIPE_SANDBOX_ASYNC_DELAY"])
    obj.setdefault("_due", []).append({"action": name, "at": time.time() + delay, "args": args})
    db.session.info.setdefault(_PENDING, []).append(
        (current_app._get_current_object(), obj["id"], delay))


def settle(object_id):
    """Apply what is due on the object by now, in the caller's unit of work (the row stays
    locked until it commits). True if anything was due."""
    obj = store.get(object_id) if object_id else None
    if obj is None or not _due_now(obj):
        return False
    obj = store.get(object_id, lock=True)
    due = _due_now(obj)
    if not due:  # applied by someone else meanwhile
        return False
    obj["_due"] = [entry for entry in obj["_due"] if entry not in due]
    store.put(obj)  # off the list before acting: an action may read and store it again
    for entry in sorted(due, key=lambda entry: entry["at"]):
        ACTIONS[entry["action"]](object_id, **entry["args"])
    return True


def settle_around(obj):
    """Settle `obj` and the objects whose delayed changes show on it (its session, its
    charge, its PaymentIntent's charge), before it is shown."""
    for key in ("_session", "payment_intent", "latest_charge", "charge"):
        linked = obj.get(key)
        if isinstance(linked, str):
            if key == "payment_intent":  # its session note, if it has one
                intent = store.get(linked, "payment_intent")
                settle((intent or {}).get("_session"))
            settle(linked)
    settle(obj["id"])


def retrieve(kind, object_id, expand=()):
    """GET /v1/<kind>s/<id> with whatever is due on it (or shows on it) applied first."""
    obj = store.get(object_id, kind)
    if obj is not None:
        settle_around(obj)
    obj = store.get(object_id, kind)
    if obj is None:
        raise no_such(kind, object_id)
    return render(obj, expand)


def record_update(event_type, obj, previous):
    """Record a `*.updated`-style event whose data carries `previous_attributes`, as Stripe's
    do (the values the changed fields had before)."""
    event = record_event(event_type, render(obj))
    event["data"]["previous_attributes"] = previous
    store.put(event)
    return event


def _due_now(obj):
    now = time.time()
    return [entry for entry in obj.get("_due") or () if entry["at"] <= now]


@event.listens_for(db.session, "after_commit")
def _start_timers(session):
    for app, object_id, delay in session.info.pop(_PENDING, ()):
        timer = threading.Timer(delay, _fire, args=(app, object_id))
        timer.name, timer.daemon = f"stripe-sandbox-due-{object_id}", True
        timer.start()


@event.listens_for(db.session, "after_soft_rollback")
def _forget_timers(session, previous_transaction):
    session.info.pop(_PENDING, None)


def _fire(app, object_id):
    with app.app_context():
        try:
            settle(object_id)
            commit_and_deliver()
        except Exception:  # noqa: BLE001 (a thread: log it; the next look applies it)
            rollback()
            log.exception("stripe sandbox: delayed change on %s failed", object_id)
        finally:
            db.session.remove()
