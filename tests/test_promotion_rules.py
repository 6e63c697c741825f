"""The rules of discount codes, without HTTP: when a code applies, what it says when it
does not, and how its amount is spread over the cart's lines."""
import pytest

from tests.factories import make_category, make_product
from tests.promotion_helpers import days, line, make_code
from webshop import cart as carts
from webshop import promotions
from webshop.models import DiscountCustomerUse, DiscountRedemption
from webshop.promotions import codes, staff
from webshop.promotions.codes import PromotionError

LINES = [line(1, 1001), line(2, 333), line(3, 333)]


@pytest.mark.parametrize("fields, message", [
    ({"active": False}, "The code SAVE10 is no longer valid."),
    ({"starts_at": days(3)}, "The code SAVE10 is valid from"),
    ({"ends_at": days(-1)}, "The code SAVE10 expired on"),
    ({"max_uses": 2, "uses": 2}, "The code SAVE10 has been used up."),
    ({"min_spend": 5000}, "The code SAVE10 needs a minimum spend of €50.00; your cart comes to €16.67."),
    ({"product_ids": [99]}, "The code SAVE10 does not apply to anything in your cart."),
])
def test_a_code_that_does_not_apply_says_why(db, fields, message):
    code = make_code(**fields)
    with pytest.raises(PromotionError) as refused:
        codes.check(code, LINES)
    assert str(refused.value).startswith(message)


def test_a_code_used_as_often_as_a_customer_may_says_so(db):
    from tests.factories import make_order
    code = make_code(max_uses_per_customer=1)
    order = make_order(email="ada@example.com")
    db.session.add(DiscountRedemption(code_id=code.id, order_id=order.id, email="ada@example.com",
                                      status="consumed", amount=100))
    db.session.add(DiscountCustomerUse(code_id=code.id, email="ada@example.com", uses=1))
    db.session.commit()
    with pytest.raises(PromotionError, match="You have already used the code SAVE10."):
        codes.check(code, LINES, email="Ada@Example.com ")
    assert codes.check(code, LINES, email="bob@example.com").amount == 167  # others may


def test_a_released_use_does_not_count_against_the_customer(db):
    from tests.factories import make_order
    code = make_code(max_uses_per_customer=1)
    order = make_order(email="ada@example.com", status="cancelled")
    db.session.add(DiscountRedemption(code_id=code.id, order_id=order.id, email="ada@example.com",
                                      status="released", amount=100))
    db.session.commit()
    assert codes.check(code, LINES, email="ada@example.com").amount == 167


def test_a_percentage_is_spread_over_the_lines_with_the_remainder_on_the_largest(db):
    discount = codes.check(make_code(value=15), LINES)
    # 15% of 16.67 is 2.5005 -> 2.50; shares rounded down 1.50 + 0.49 + 0.49 = 2.48,
    # the 2 cents left go to the largest line.
    assert discount.line_discounts == {1: 152, 2: 49, 3: 49}
    assert discount.amount == 250 and not discount.free_shipping


def test_a_fixed_amount_never_exceeds_what_it_applies_to(db):
    tee = make_product("Tee", price=1200)
    discount = codes.check(make_code("TENOFF", "fixed", 5000, product_ids=[tee.id]),
                           [line(1, 1200, product_id=tee.id), line(2, 9900)])
    assert discount.line_discounts == {1: 1200}
    small = codes.check(make_code("FIVE", "fixed", 500), [line(1, 300), line(2, 900)])
    assert small.line_discounts == {1: 125, 2: 375} and small.amount == 500


def test_rounding_never_gives_a_line_more_than_it_costs(db):
    discount = codes.check(make_code(value=99), [line(1, 1), line(2, 1), line(3, 1)])
    assert discount.line_discounts == {1: 1, 2: 1, 3: 1}


def test_a_category_code_covers_only_its_categories_and_never_gift_cards(db, settings):
    mugs, tees = make_category("Mugs"), make_category("Tees")
    mug = make_product("Mug", price=1000, category=mugs)
    tee = make_product("Tee", price=2000, category=tees)
    card = make_product("Gift card", price=5000)
    lines = [line(1, 1000, product_id=mug.id), line(2, 2000, product_id=tee.id),
             line(3, 5000, product_id=card.id, sku="GIFTCARD-50")]
    assert codes.check(make_code(value=50, category_ids=[mugs.id]), lines).line_discounts == {1: 500}
    whole = codes.check(make_code("ALL", value=50), lines)
    assert whole.line_discounts == {1: 500, 2: 1000}  # not the gift card


def test_free_shipping_takes_nothing_off_the_lines(db):
    discount = codes.check(make_code("SHIPFREE", "free_shipping", 0), LINES)
    assert discount.free_shipping and discount.line_discounts == {}


def test_codes_are_case_insensitive_and_unique(db):
    data = staff.CodeInput(code=" summer-24 ", kind="percent", value=10)
    created = staff.create_code(data)
    assert created.code == "SUMMER-24" and codes.find("Summer-24").id == created.id
    with pytest.raises(PromotionError, match="There is already a code with that name."):
        staff.create_code(staff.CodeInput(code="SUMMER-24", kind="fixed", value=100))


def test_an_unknown_code_is_named_in_the_message(db):
    mug = make_product("Mug", price=1000)
    cart = carts.add_item(mug.variants[0].id, 1, token="t" * 20)
    with pytest.raises(PromotionError, match="We do not know the code “NOPE”"):
        promotions.apply_code(cart, "NOPE", carts.lines(cart))
    assert cart.discount_code is None
