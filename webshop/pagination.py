"""Pages of results, and the ?page= parameter that asks for one."""
import math
from dataclasses import dataclass

from flask import abort

from webshop.validation import MAX_INT, whole_number


@dataclass(frozen=True)
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self):
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.pages


class PageOutOfRange(LookupError):
    """A page past the last one (page 1 always exists, even when empty)."""


def check_page(page, per_page, total):
    if page < 1 or page > max(1, math.ceil(total / per_page)):
        raise PageOutOfRange(page)


def page_number(args, name="page"):
    """?page= as a whole number from 1 up (ASCII digits: str.isdigit() also accepts "²"),
    at most MAX_INT; anything else is a 400 with a clear message. A page past the last
    one is the caller's 404 (check_page)."""
    raw = args.get(name) or "1"
    page = whole_number(raw, minimum=1)
    if page is not None:
        return page
    digits = raw.strip().lstrip("0")
    if digits.isascii() and digits.isdigit():  # a whole number, only far too large
        abort(400, description=f"The page number must be at most {MAX_INT:,}.")
    abort(400, description="The page number must be a whole number from 1 up.")
