"""Text on its way into XML that podcast apps read: characters XML cannot carry are dropped, and limits
counted in UTF-8 bytes (Apple's 4000 for descriptions) are kept without splitting a character.

Used by every feed extension (``podcast2``, ``psc``) and the feed builder; lxml does the escaping.
"""

import re
import unicodedata

_NOT_XML_CHAR = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ELLIPSIS = "…"


def xml_safe(text: str) -> str:
    """Drop the characters XML 1.0 cannot carry at all, even escaped.

    Editors paste text with stray control characters (from Word, terminals, old CMS exports); one of
    them would make lxml refuse the whole feed. Everything else is left for lxml to escape.
    """
    return _NOT_XML_CHAR.sub("", text)


def truncate_utf8(text: str, max_bytes: int) -> str:
    """Cut ``text`` to at most ``max_bytes`` bytes of UTF-8, for limits counted in bytes (Apple's 4000).

    A cut never splits a character, nor detaches a combining mark, emoji modifier or joiner from the
    character before it. It prefers a word boundary and ends with "…", all within ``max_bytes``. Lone
    surrogates have no UTF-8 form and are dropped.
    """
    if max_bytes < 0:
        raise ValueError("max_bytes must not be negative")
    data = text.encode("utf-8", "ignore")
    text = data.decode("utf-8")
    if len(data) <= max_bytes:
        return text
    ellipsis_bytes = len(_ELLIPSIS.encode())
    budget = max_bytes - ellipsis_bytes if max_bytes >= ellipsis_bytes else max_bytes
    # Original is valid UTF-8, so "ignore" can only drop the partial character at the cut.
    kept = data[:budget].decode("utf-8", "ignore")
    while kept and (_extends(text[len(kept)]) or kept[-1] == "\u200d"):
        kept = kept[:-1]
    if max_bytes < ellipsis_bytes:
        return kept
    if not text[len(kept)].isspace():
        # Cut mid-word: back up to the last space, unless that would throw away most of the text.
        space = max((kept.rfind(c) for c in " \t\n\r"), default=-1)
        if space > len(kept) // 2:
            kept = kept[:space]
    return kept.rstrip() + _ELLIPSIS


def _extends(char: str) -> bool:
    """Whether ``char`` belongs to the character before it (combining mark, ZWJ, skin-tone modifier)."""
    return unicodedata.category(char) in ("Mn", "Mc", "Me") or char == "\u200d" or "🏻" <= char <= "🏿"
