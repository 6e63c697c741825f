"""Accessibility checks for the browser tests: axe-core (vendored under vendor/, injected
into the page, never served by the shop) and moving through a page with the keyboard."""
import re
from pathlib import Path

from playwright.sync_api import expect

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")
# Which element has the focus, as "tag#id name=… text": what tab_to matches against.
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return "";
  const text = (e.getAttribute("aria-label") || e.innerText || e.value || "").trim();
  return `${e.tagName.toLowerCase()}#${e.id} name=${e.getAttribute("name") || ""} ${text}`;
}"""
# The focus ring the stylesheet draws (:focus-visible: a box-shadow or an outline, on
# the element or, for a radio or checkbox, on the label around it).
FOCUS_SHOWN = """() => {
  const e = document.activeElement;
  if (!e.matches(":focus-visible")) return false;
  for (let el = e, up = 0; el && up < 3; el = el.parentElement, up++) {
    const style = getComputedStyle(el);
    const outlined = style.outlineStyle !== "none" && style.outlineWidth !== "0px";
    if (style.boxShadow !== "none" || outlined) return true;
  }
  return false;
}"""


def axe_violations(page):
    """axe-core's serious and critical violations on the page as it is now, one readable
    line per element: "rule (impact): help -> selector: what to fix". The page's context
    must bypass the Content-Security-Policy (axe is injected as a script tag)."""
    # Colours are measured as painted: let fades and transitions (a flash appearing, a
    # button coming back from its disabled look) finish first.
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    lines = []
    for violation in result["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        for node in violation["nodes"]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} -> "
                         f"{' '.join(node['target'])}: {summary}")
    return lines


def tab_to(page, pattern, limit=80, key="Tab"):
    """Press Tab (or `key`: "Shift+Tab" goes back) until the focused element matches
    `pattern` (a regex over "tag#id name=… text"); the focus must be visible there.
    Fails after `limit` presses."""
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        focused = page.evaluate(FOCUSED)
        seen.append(focused)
        if re.search(pattern, focused):
            assert page.evaluate(FOCUS_SHOWN), f"no visible focus on {focused}"
            return focused
    raise AssertionError(f"Tab never reached {pattern!r}; it went through {seen}")


def type_into(page, pattern, text):
    """Tab to a field and type into it."""
    tab_to(page, pattern)
    page.keyboard.type(text)


def wait_for_page(page, heading):
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
