"""A page's head read as a crawler reads it: meta tags, links and JSON-LD."""

import json
import re
from html.parser import HTMLParser


class Head(HTMLParser):
    """The machine-readable parts of a page: meta tags, links and JSON-LD scripts (attribute values come
    out unescaped, as a crawler reads them)."""

    def __init__(self, html: str):
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.links: list[dict[str, str]] = []
        self.json_ld: list[str] = []
        self._in_ld = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and ("property" in attrs or "name" in attrs):
            key = attrs.get("property") or attrs["name"]
            self.meta.setdefault(key, []).append(attrs.get("content", ""))
        elif tag == "link":
            self.links.append(attrs)
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self._in_ld = True
            self.json_ld.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data):
        if self._in_ld:
            self.json_ld[-1] += data

    def one(self, key: str) -> str:
        values = self.meta.get(key, [])
        assert len(values) == 1, f"{key}: {values}"
        return values[0]

    def link(self, rel: str, type: str | None = None) -> dict[str, str] | None:
        found = [link for link in self.links if link.get("rel") == rel and link.get("type") == type]
        assert len(found) <= 1, found
        return found[0] if found else None

    def schema(self, schema_type: str) -> dict:
        found = [data for data in map(json.loads, self.json_ld) if data.get("@type") == schema_type]
        assert len(found) == 1, self.json_ld
        assert found[0]["@context"] == "https://schema.org"
        return found[0]


def head_of(client, url: str) -> Head:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return Head(response.content.decode())


def is_absolute(url: str) -> bool:
    return re.match(r"^https?://[^/]+/", url) is not None
