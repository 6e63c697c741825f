"""Static files ready for a CDN: content-hashed URLs, a year's immutable caching, brotli
or gzip as the browser accepts, ETag and 304; the plain names still work, briefly cached."""
import re

from webshop.web.static_files import build_static


def asset_urls(client):
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', client.get("/login").get_data(as_text=True))


def test_pages_link_static_files_by_content_hash(client):
    urls = asset_urls(client)
    assert any(re.fullmatch(r"/static/css/shop\.[0-9a-f]{12}\.css", url) for url in urls), urls
    assert any(re.fullmatch(r"/static/js/htmx\.min\.[0-9a-f]{12}\.js", url) for url in urls), urls


def test_hashed_files_are_immutable_compressed_and_revalidate(client):
    css = next(url for url in asset_urls(client) if url.endswith(".css"))

    plain = client.get(css, headers={"Accept-Encoding": "identity"})
    brotli = client.get(css, headers={"Accept-Encoding": "gzip, br"})
    gzipped = client.get(css, headers={"Accept-Encoding": "gzip"})

    assert plain.status_code == brotli.status_code == gzipped.status_code == 200
    assert brotli.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert (brotli.headers["Content-Encoding"], gzipped.headers["Content-Encoding"]) == ("br", "gzip")
    assert "Accept-Encoding" in brotli.headers["Vary"] and "Cookie" not in brotli.headers["Vary"]
    assert len(brotli.data) < len(gzipped.data) < len(plain.data)
    assert "Set-Cookie" not in brotli.headers
    again = client.get(css, headers={"If-None-Match": brotli.headers["ETag"], "Accept-Encoding": "br"})
    assert again.status_code == 304


def test_a_plain_name_is_served_but_only_briefly_cached(client):
    response = client.get("/static/css/shop.css")
    assert response.status_code == 200 and "immutable" not in response.headers["Cache-Control"]


def test_an_edited_file_gets_a_new_name_and_the_old_one_stays(tmp_path):
    source, build = tmp_path / "static", tmp_path / "build"
    (source / "css").mkdir(parents=True)
    (source / "css" / "site.css").write_text("body { color: black; }" * 100)
    first = build_static(source, build)["css/site.css"]
    (source / "css" / "site.css").write_text("body { color: navy; }" * 100)

    second = build_static(source, build)["css/site.css"]

    assert first != second and re.fullmatch(r"css/site\.[0-9a-f]{12}\.css", second)
    assert (build / first).exists() and "navy" in (build / second).read_text()
    assert (build / (second + ".gz")).exists() and (build / (second + ".br")).exists()
    assert "navy" in (build / "css" / "site.css").read_text()
