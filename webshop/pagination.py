"""Pages of results, and the ?page= parameter that asks for one."""
import math
from dataclasses import dataclass

from flask import abort


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
    """?page= as a whole number from 1 up; anything else is a 400 with a clear message."""
    raw = args.get(name) or "1"
    # isascii: str.isdigit() also accepts digits such as "²" that int() refuses.
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        abort(400, description="The page number must be a whole number from 1 up.")
    return int(raw)
