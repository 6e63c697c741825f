"""Browser contexts the journeys share (the browser itself: tests/conftest.py)."""
import pytest


@pytest.fixture
def no_js_page(browser):
    """A page with JavaScript switched off: what a shopper without script gets."""
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


@pytest.fixture
def axe_page(browser):
    """A page with script whose context lets axe-core's script tag past the shop's
    Content-Security-Policy (the only thing it bypasses)."""
    context = browser.new_context(bypass_csp=True)
    yield context.new_page()
    context.close()
