"""Small helpers for tests that talk HTTP."""
import re

_CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def csrf_token(client, url):
    """The CSRF token of the form on the page at `url` (the test app checks CSRF)."""
    response = client.get(url)
    match = _CSRF_INPUT.search(response.get_data(as_text=True))
    assert match, f"no csrf_token input on {url} (status {response.status_code})"
    return match.group(1)
