"""Text from a feed: one-line titles and names, plain-text descriptions, and HTML show notes as Wagtail
rich text."""

from __future__ import annotations

import re

import lxml.html
from bs4 import BeautifulSoup
from django.utils.text import Truncator
from lxml import etree
from wagtail.admin.rich_text.converters.editor_html import EditorHTMLConverter
from wagtail.whitelist import check_url

from .links import is_http_url

# Fields the feed cannot give a ShowPage or EpisodePage longer than this.
TITLE_MAX = 255
SUMMARY_MAX = 4000
FUNDING_TEXT_MAX = 128

# fmt: off
# Elements whose content is never show notes: dropped with everything inside them. (Images too: rich
# text holds only images from the Wagtail library, as embeds.)
DROPPED_ELEMENTS = (
    "script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math", "form", "button",
    "select", "textarea", "audio", "video", "head", "title", "img", "picture",
)
# Block elements that rich text has no equivalent for; kept as paragraphs so their text stays apart.
PARAGRAPH_LIKE = (
    "blockquote", "pre", "section", "article", "header", "footer", "figure", "figcaption", "aside",
)
# fmt: on
RICH_TEXT_BLOCKS = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "hr", *PARAGRAPH_LIKE}
)
_EMPTY_PARAGRAPH = re.compile(r"<p>(?:\s|<br/>)*</p>")
LOOKS_LIKE_HTML = re.compile(
    r"<(?:[a-zA-Z][a-zA-Z0-9]*[\s/>]|/[a-zA-Z]|!--)|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);"
)


def html_to_text(value: str) -> str:
    """Plain text from a description that may be HTML: paragraphs and line breaks kept, tags dropped."""
    if not LOOKS_LIKE_HTML.search(value):
        return "\n".join(" ".join(line.split()) for line in value.strip().splitlines()).strip()
    soup = BeautifulSoup(value, "html.parser")
    for element in soup(DROPPED_ELEMENTS):
        element.decompose()
    for br in soup("br"):
        br.replace_with("\n")
    for block in soup(["p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", *PARAGRAPH_LIKE]):
        block.insert_after("\n\n")
    lines = [" ".join(line.split()) for line in soup.get_text().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def truncate(text: str, limit: int) -> str:
    return Truncator(text).chars(limit) if len(text) > limit else text


def plain(text: str) -> str:
    """Collapse whitespace: titles and names are one line."""
    return " ".join(text.split())


def rich_text_from_html(html: str, base_url: str = "") -> str:
    """Arbitrary HTML from a feed as Wagtail rich text in its database format.

    Wagtail's own cleaner for editor HTML (``EditorHTMLConverter.to_database_format``, the
    ``DbWhitelister``) keeps only the elements and attributes the default rich text features allow and
    drops ``javascript:`` links. Before it, lxml's HTML parser repairs the markup (unclosed ``<li>`` and
    ``<p>``), elements whose content is not text (scripts, styles, iframes) go with their content, and
    loose text is put into paragraphs, as the editor would. (Draftail's contentstate converter would be
    the other route, but it fails on unbalanced tags and invents new block keys on every run.)
    """
    if not html.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return ""
    for element in list(root.iter(*DROPPED_ELEMENTS)):
        element.drop_tree()
    for element in root.iter(*PARAGRAPH_LIKE):
        element.tag = "p"
    if base_url and is_http_url(base_url):
        root.make_links_absolute(base_url, resolve_base_href=False)
    _tidy(root)
    body = "".join(lxml.html.tostring(child, encoding="unicode") for child in _paragraphs(root))
    cleaned = _EMPTY_PARAGRAPH.sub("", EditorHTMLConverter().to_database_format(body))
    return "" if not BeautifulSoup(cleaned, "html.parser").get_text().strip() else cleaned


def _tidy(root) -> None:
    """Whitespace as a browser shows it (one space), none between blocks, and no link that is not one
    (the whitelister would leave ``javascript:`` links as ``<a>`` without ``href``)."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag == "a" and not check_url(element.get("href") or ""):
            element.drop_tag()
            continue
        block = element.tag in RICH_TEXT_BLOCKS or element.tag == "li"
        if element.text:
            element.text = (
                None if element.tag in ("ul", "ol") and not element.text.strip() else _spaces(element.text)
            )
        if element.tail:
            element.tail = None if block and not element.tail.strip() else _spaces(element.tail)


def _spaces(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _paragraphs(root) -> list:
    """The children of ``root`` with runs of loose text and inline elements wrapped in <p>."""
    blocks: list = []
    paragraph = None

    def add_text(text: str | None) -> None:
        nonlocal paragraph
        if not text or (paragraph is None and not text.strip()):
            return
        if paragraph is None:
            paragraph = lxml.html.Element("p")
            blocks.append(paragraph)
        if len(paragraph):
            paragraph[-1].tail = (paragraph[-1].tail or "") + text
        else:
            paragraph.text = (paragraph.text or "") + text

    add_text(root.text)
    for child in list(root):
        tail, child.tail = child.tail, None
        if not isinstance(child.tag, str):
            pass
        elif child.tag in RICH_TEXT_BLOCKS:
            blocks.append(child)
            paragraph = None
        else:
            if paragraph is None:
                paragraph = lxml.html.Element("p")
                blocks.append(paragraph)
            paragraph.append(child)
        add_text(tail)
    return blocks
