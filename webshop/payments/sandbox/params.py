"""Stripe's request parameters: form fields in bracket notation, read back into structure.

The stripe library sends `line_items[0][price_data][unit_amount]=2995`; this module turns
such pairs into nested dicts and lists, and reads typed values out of them with the
same error messages Stripe gives. It also knows, from the stripe library, which
parameters each call accepts (`check_known`).
"""
import re

import stripe
from flask import has_request_context, request

from webshop.payments.sandbox.errors import StripeError

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")
# Free-form maps whose keys are the caller's own, never list indexes.
_MAPS = {"metadata"}


def _param_names(typed_dict):
    """Top-level parameter names the stripe library itself knows for a call, so unknown
    ones are refused as Stripe refuses them (None, i.e. no check, if it cannot tell)."""
    try:
        return frozenset(typed_dict.__annotations__) - frozenset(
            stripe.RequestOptions.__annotations__
        )
    except AttributeError:
        return None


try:
    from stripe.params import (
        DisputeCloseParams, DisputeUpdateParams, DisputeUpdateParamsEvidence, RefundCreateParams,
    )
    from stripe.params.checkout import (
        SessionCreateParams, SessionCreateParamsLineItem, SessionCreateParamsLineItemPriceData,
        SessionCreateParamsLineItemPriceDataProductData, SessionCreateParamsPaymentIntentData,
    )
except ImportError:  # a stripe release that moved them: accept any parameter
    SESSION_PARAMS = LINE_ITEM_PARAMS = PRICE_DATA_PARAMS = PRODUCT_DATA_PARAMS = None
    PAYMENT_INTENT_DATA_PARAMS = REFUND_PARAMS = None
    DISPUTE_PARAMS = DISPUTE_CLOSE_PARAMS = DISPUTE_EVIDENCE_PARAMS = None
else:
    SESSION_PARAMS = _param_names(SessionCreateParams)
    LINE_ITEM_PARAMS = _param_names(SessionCreateParamsLineItem)
    PRICE_DATA_PARAMS = _param_names(SessionCreateParamsLineItemPriceData)
    PRODUCT_DATA_PARAMS = _param_names(SessionCreateParamsLineItemPriceDataProductData)
    PAYMENT_INTENT_DATA_PARAMS = _param_names(SessionCreateParamsPaymentIntentData)
    REFUND_PARAMS = _param_names(RefundCreateParams)
    DISPUTE_PARAMS = _param_names(DisputeUpdateParams)
    DISPUTE_CLOSE_PARAMS = _param_names(DisputeCloseParams)
    DISPUTE_EVIDENCE_PARAMS = _param_names(DisputeUpdateParamsEvidence)

# Session parameters older API versions still take (checked against the request's
# Stripe-Version by the code that reads them).
LEGACY_SESSION_PARAMS = frozenset({"payment_method_types"})


def api_version():
    """The API version the caller speaks: its Stripe-Version header, else the library's."""
    version = request.headers.get("Stripe-Version") if has_request_context() else None
    return version or stripe.api_version


def parse_params(pairs):
    """[("a[b][0]", "x"), ...] -> {"a": {"b": ["x"]}}. Keys without brackets stay flat;
    `a[]` appends; dicts whose keys are all indexes become lists (metadata never does)."""
    root = {}
    for key, value in pairs:
        match = _KEY.match(key)
        parts = [match.group(1), *_PART.findall(match.group(2))] if match else [key]
        node = root
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if part == "":
                part = str(len(node))
            if last:
                if isinstance(node.get(part), dict):
                    raise _invalid_hash(parts, depth)
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise _invalid_hash(parts, depth)
                node = child
    return _listify(root)


def _invalid_hash(parts, depth):
    name = parts[0] + "".join(f"[{p}]" for p in parts[1:depth + 1])
    return StripeError(400, f"Invalid hash: {name} is given both as a value and as a hash.",
                       param=name)


def _listify(node, name=None):
    if not isinstance(node, dict):
        return node
    items = {key: _listify(value, key) for key, value in node.items()}
    if name not in _MAPS and items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items


def param_name(*path):
    """("line_items", 0, "quantity") -> "line_items[0][quantity]", as Stripe names params."""
    head, *rest = path
    return str(head) + "".join(f"[{part}]" for part in rest)


def get_str(params, *path, required=False):
    """The string at `path`, or None; "" counts as absent (Stripe's "unset")."""
    value = _dig(params, path)
    if value is None or value == "":
        if required:
            raise missing(param_name(*path))
        return None
    if not isinstance(value, str):
        raise StripeError(400, f"Invalid string: {param_name(*path)} must be a string.",
                          param=param_name(*path))
    return value


def get_int(params, *path, required=False, minimum=None):
    raw = get_str(params, *path, required=required)
    if raw is None:
        return None
    name = param_name(*path)
    if not re.fullmatch(r"-?\d{1,15}", raw.strip()):
        raise StripeError(400, f"Invalid integer: {raw}", code="parameter_invalid_integer",
                          param=name)
    value = int(raw)
    if minimum is not None and value < minimum:
        raise StripeError(400, f"This value must be greater than or equal to {minimum}.",
                          code="parameter_invalid_integer", param=name)
    return value


def get_bool(params, *path, default=None):
    """"true" or "false", as the stripe library sends booleans; `default` when absent."""
    raw = get_str(params, *path)
    if raw is None:
        return default
    if raw not in ("true", "false"):
        raise StripeError(400, f"Invalid boolean: {raw}", param=param_name(*path))
    return raw == "true"


def get_map(params, *path):
    """A hash such as metadata: {} when absent; empty values are dropped (Stripe's unset)."""
    value = _dig(params, path)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise StripeError(400, f"Invalid object: {param_name(*path)} must be a hash.",
                          param=param_name(*path))
    return {key: item for key, item in value.items() if item not in ("", None)}


def get_metadata(params, *path):
    """A metadata hash within Stripe's limits: 50 keys, keys up to 40 characters, string
    values up to 500."""
    metadata = get_map(params, *path)
    if len(metadata) > 50:
        raise StripeError(400, "Invalid metadata: metadata can have at most 50 keys.",
                          param=param_name(*path))
    for key, value in metadata.items():
        if not isinstance(value, str) or len(key) > 40 or len(value) > 500:
            raise StripeError(400, "Invalid metadata: keys can be at most 40 characters and "
                              "values at most 500.", param=param_name(*path, key))
    return metadata


def get_list(params, *path):
    value = _dig(params, path)
    if value is None or value == "":
        return []
    if isinstance(value, dict):  # a single-element hash with a non-index key
        raise StripeError(400, f"Invalid array: {param_name(*path)} must be an array.",
                          param=param_name(*path))
    return value if isinstance(value, list) else [value]


def check_known(params, allowed, prefix=()):
    """Stripe rejects parameters it does not know; so does the sandbox (where it can tell)."""
    if allowed is None or not isinstance(params, dict):
        return
    for key in params:
        if key not in allowed:
            name = param_name(*prefix, key)
            raise StripeError(400, f"Received unknown parameter: {name}",
                              code="parameter_unknown", param=name)


def missing(name):
    return StripeError(400, f"Missing required param: {name}.", code="parameter_missing",
                       param=name)


def _dig(params, path):
    node = params
    for part in path:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return None
        if node is None:
            return None
    return node
