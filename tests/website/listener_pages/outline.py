"""A listener page read as its outline: headings, landmarks, ids and links, and the checks every page must
pass (one h1, no skipped heading level, the landmarks, no duplicate id)."""

from html.parser import HTMLParser


class Outline(HTMLParser):
    """The headings (level, text), landmark elements, ids and links of a page."""

    def __init__(self):
        super().__init__()
        self.headings: list[list] = []
        self.tags: list[tuple[str, dict]] = []
        self.ids: list[str] = []
        self._heading: list | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if attrs.get("id"):
            self.ids.append(attrs["id"])
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self._heading = [int(tag[1]), ""]
            self.headings.append(self._heading)

    def handle_endtag(self, tag):
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self._heading = None

    def handle_data(self, data):
        if self._heading is not None:
            self._heading[1] += data.strip()

    def find(self, tag, **attrs) -> list[dict]:
        """Elements with these attribute values (None: an attribute without a value, like ``hidden``)."""
        return [a for t, a in self.tags if t == tag and all(k in a and a[k] == v for k, v in attrs.items())]

    def heading_texts(self, level: int) -> list[str]:
        return [text for lvl, text in self.headings if lvl == level]


def outline_of(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


def outline(response) -> Outline:
    assert response.status_code == 200
    parser = Outline()
    parser.feed(response.content.decode())
    return parser


def assert_well_formed(page: Outline):
    """One h1, first; no heading level skipped on the way down; the four landmarks; no duplicate ids."""
    levels = [level for level, _text in page.headings]
    assert levels and levels[0] == 1 and levels.count(1) == 1, levels
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, f"heading level skipped: {levels}"
    for landmark in ("header", "main", "footer"):
        assert page.find(landmark), f"no <{landmark}>"
    assert page.find("nav", **{"aria-label": "Main"})
    assert len(page.ids) == len(set(page.ids)), "duplicate ids"
