"""Reading a feed as podcast apps do: the flaws real feeds have, repaired, and each repair said.

Podcast apps read feeds that are not well-formed XML, so hosts keep serving them: an HTML entity XML does
not define (``&nbsp;``, ``&eacute;``, or garbage such as ``&gtgt;``), a blank line before the XML
declaration, bytes in another encoding than the one declared, control characters pasted from a word
processor, a feed cut short before its closing tags. A publisher moving here must not be stopped by what
their listeners' apps never noticed.

The repairs run only when the strict parse fails, so a well-formed feed is read exactly as it is:

1. :func:`repair_text`: what lies before the XML declaration goes, the bytes are decoded in the encoding
   they are really in, control characters XML forbids are dropped, and entities XML does not know become
   the characters HTML gives them (``html.entities``) or, when HTML does not know them either, the text
   they are (``&amp;gtgt;``).
2. Whatever is still broken is read by lxml's ``recover`` mode (libxml2's own error recovery, what
   feedparser relies on too), which closes unclosed tags at the end.

What stays refused: a document type that declares entities (:func:`refuse_entities`, with ``defusedxml``:
entity expansion and external entities are attacks, never something a feed needs), and a source that is not
a feed at all (the parser's checks on what it read).
"""

from __future__ import annotations

import html.entities
import re

import defusedxml.ElementTree
from defusedxml import DefusedXmlException

# The five entities XML itself defines; every other name needs a declaration.
XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
# The characters XML 1.0 forbids: C0 controls other than tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL_REFERENCE = re.compile(
    r"&#(?:[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F])|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]));"
)
# An ampersand and what follows it: a named or numeric reference, or a bare ampersand. CDATA sections and
# comments are matched first, to be left as they are: an ampersand in them is text already.
_AMPERSAND = re.compile(
    r"(?P<verbatim><!\[CDATA\[.*?\]\]>|<!--.*?-->)|&(?:(?P<name>#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9._-]*);)?",
    re.DOTALL,
)
_DECLARATION = re.compile(rb"<\?xml[^>]*\?>")
_DECLARED_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)


class HostileXML(Exception):
    """The document declares entities: refused, as an attack would be."""


def refuse_entities(content: bytes) -> None:
    """Raise :class:`HostileXML` when the document type declares entities (billion laughs, external
    entities that read local files or URLs). ``defusedxml`` parses with expat and stops at the first
    declaration; a document expat cannot parse is checked for declarations in its prolog instead."""
    try:
        defusedxml.ElementTree.fromstring(
            content, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise HostileXML(
            f"it declares XML entities ({type(exc).__name__}), which no feed needs and which are used to "
            "attack the programs that read them"
        ) from exc
    except Exception:  # noqa: BLE001 (expat's errors for what is not well-formed: the repairs' business)
        prolog = content[: content.find(b"<rss")] if b"<rss" in content else content[:65536]
        if _ENTITY_DECLARATION.search(prolog):
            raise HostileXML(
                "it declares XML entities, which no feed needs and which are used to attack the programs "
                "that read them"
            ) from None


def repair_text(content: bytes, prefixes: dict[str, str] | None = None) -> tuple[bytes, list[str]]:
    """The feed's bytes with the flaws podcast apps overlook repaired, as UTF-8, and what was repaired.
    ``prefixes`` maps the namespace prefixes podcast apps know (``itunes``, ``podcast``, ...) to their
    namespaces, for a feed that uses one without declaring it."""
    notes: list[str] = []
    content = _from_declaration(content, notes)
    text = _decoded(content, notes)
    text = _without_controls(text, notes)
    text = _entities(text, notes)
    text = _declared_prefixes(text, prefixes or {}, notes)
    body = _DECLARATION.sub(b"", text.encode("utf-8"), count=1).lstrip()
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body, notes


def _from_declaration(content: bytes, notes: list[str]) -> bytes:
    """Nothing may come before the XML declaration; servers and templates often leave a blank line."""
    for bom in (b"\xef\xbb\xbf",):
        if content.startswith(bom):
            content = content[len(bom) :]
    start = content.find(b"<?xml")
    if start > 0 and not content[:start].strip(b" \t\r\n\x00\xef\xbb\xbf"):
        notes.append(f"{_amount(start, 'character')} of blank space before the XML declaration removed")
        return content[start:]
    if start > 0 and start < 1024 and b"<" not in content[:start]:
        notes.append(f"{_amount(start, 'character')} of text before the XML declaration removed")
        return content[start:]
    stripped = content.lstrip()
    if len(stripped) != len(content) and not content.startswith(b"<"):
        notes.append("blank space before the first tag removed")
    return stripped


def _decoded(content: bytes, notes: list[str]) -> str:
    """The text, in the encoding the bytes are really in.

    Valid UTF-8 with non-ASCII characters is UTF-8 whatever the declaration says: text in a single-byte
    encoding is practically never valid UTF-8. Otherwise the declared encoding, then Windows-1252 (what
    a "Latin-1" feed written on Windows holds, and a superset of Latin-1's printable characters).
    """
    match = _DECLARATION.match(content)
    declared_match = _DECLARED_ENCODING.search(match.group(0)) if match else None
    declared = declared_match.group(1).decode("ascii").lower() if declared_match else "utf-8"
    is_utf8 = declared.replace("_", "-") in ("utf-8", "utf8")
    try:
        text = content.decode("utf-8")
        if not is_utf8 and not text.isascii():
            notes.append(f"the feed declares the encoding {declared} but is UTF-8; read as UTF-8")
        return text
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if not is_utf8:
        try:
            return content.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    text = content.decode("windows-1252", errors="replace")
    where = content[: utf8_error.start].count(b"\n") + 1
    notes.append(
        f"the feed declares the encoding {declared} but is not in it (line {where}); read as Windows-1252"
    )
    return text


def _without_controls(text: str, notes: list[str]) -> str:
    count = len(_CONTROL.findall(text)) + len(_CONTROL_REFERENCE.findall(text))
    if not count:
        return text
    notes.append(f"{_amount(count, 'control character')} that XML forbids removed")
    return _CONTROL_REFERENCE.sub("", _CONTROL.sub("", text))


_PREFIXED_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9_-]*):[A-Za-z]")
_RSS_START = re.compile(r"<rss\b")


def _declared_prefixes(text: str, prefixes: dict[str, str], notes: list[str]) -> str:
    """Declare, on ``<rss>``, the well-known prefixes the feed's tags use but the feed never declares
    (``<itunes:author>`` with no ``xmlns:itunes``: podcast apps know what it means, XML does not)."""
    used = set(_PREFIXED_TAG.findall(text))
    missing = sorted(p for p in used if p in prefixes and not re.search(rf"xmlns:{p}\s*=", text))
    start = _RSS_START.search(text)
    if not missing or start is None:
        return text
    declarations = "".join(f' xmlns:{prefix}="{prefixes[prefix]}"' for prefix in missing)
    notes.append(f"namespace prefixes used without being declared, declared: {', '.join(missing)}")
    return text[: start.end()] + declarations + text[start.end() :]


def _entities(text: str, notes: list[str]) -> str:
    """Entities XML does not define, as the characters HTML gives them; unknown ones and bare ampersands
    as text. Numeric references and XML's own five are kept."""
    known: dict[str, int] = {}
    unknown: dict[str, int] = {}
    bare = 0

    def replace(match: re.Match) -> str:
        nonlocal bare
        if match.group("verbatim"):
            return match.group(0)
        name = match.group("name")
        if name is None:
            bare += 1
            return "&amp;"
        if name.startswith("#") or name in XML_ENTITIES:
            return match.group(0)
        character = html.entities.html5.get(name + ";")
        if character is not None:
            known[name] = known.get(name, 0) + 1
            # As a character reference: a character such as "<" must stay text, not become markup.
            return "".join(f"&#{ord(c)};" for c in character)
        unknown[name] = unknown.get(name, 0) + 1
        return "&amp;" + match.group(0)[1:]

    text = _AMPERSAND.sub(replace, text)
    if known:
        notes.append(f"HTML entities that XML does not define read as HTML reads them: {_names(known)}")
    if unknown:
        notes.append(f"entities neither XML nor HTML defines kept as text: {_names(unknown)}")
    if bare:
        notes.append(f"{_amount(bare, 'bare ampersand')} read as text")
    return text


def _names(counts: dict[str, int]) -> str:
    return ", ".join(f"&{name}; ({n}×)" if n > 1 else f"&{name};" for name, n in counts.items())


def _amount(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"
