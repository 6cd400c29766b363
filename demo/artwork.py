"""The demo's cover art, drawn with Pillow: original, so that the demo carries no one else's images.

Apple wants square RGB JPEG or PNG artwork of 1400 to 3000 pixels (see episodes.directory_checks); these are
1400×1400 PNGs. The design is simple on purpose: two overlapping circles, the professional and the person
meeting in the middle (the show's subject), on a colour of the episode's own, with the show's title, and
for an episode its number. The same words make the same bytes, so a reload finds nothing new to store.
"""

from __future__ import annotations

import io
import textwrap

from PIL import Image, ImageDraw, ImageFont

SIZE = 1400
MARGIN = 110
INK = (255, 255, 255)
# Background and the two circles' colours, one set per episode (the show's is the first).
PALETTES = [
    ((22, 54, 92), (52, 152, 219), (241, 196, 15)),
    ((120, 40, 31), (231, 76, 60), (246, 185, 59)),
    ((20, 83, 45), (46, 204, 113), (241, 196, 15)),
    ((74, 35, 90), (155, 89, 182), (52, 152, 219)),
    ((14, 98, 81), (26, 188, 156), (236, 240, 241)),
]


def palette(number: int) -> tuple[tuple[int, int, int], ...]:
    return PALETTES[number % len(PALETTES)]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's own scalable font: nothing to install, the same glyphs on every machine.
    return ImageFont.load_default(size=size)


def cover_art(title: str, *, label: str = "", number: int = 0) -> bytes:
    """A 1400×1400 RGB PNG: ``title`` in large type, ``label`` (e.g. the show's title and the episode's
    number) above it, in the colours of ``number`` (0 for the show)."""
    background, left, right = palette(number)
    image = Image.new("RGB", (SIZE, SIZE), background)
    draw = ImageDraw.Draw(image)

    # Two circles meeting; where they overlap, a third colour (drawn as the lens the two share).
    radius, cy = 330, 470
    lx, rx = SIZE // 2 - 190, SIZE // 2 + 190
    draw.ellipse((lx - radius, cy - radius, lx + radius, cy + radius), fill=left)
    draw.ellipse((rx - radius, cy - radius, rx + radius, cy + radius), fill=right)
    lens = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(lens).ellipse((lx - radius, cy - radius, lx + radius, cy + radius), fill=255)
    other = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(other).ellipse((rx - radius, cy - radius, rx + radius, cy + radius), fill=255)
    mask = Image.composite(lens, Image.new("L", (SIZE, SIZE), 0), other)
    image.paste(INK, mask=mask)
    draw.rectangle((MARGIN, 900, SIZE - MARGIN, 912), fill=INK)

    y = 950
    if label:
        size = 54
        while size > 24 and draw.textlength(label, font=_font(size)) > SIZE - 2 * MARGIN:
            size -= 2
        draw.text((MARGIN, y), label, font=_font(size), fill=right)
        y += 90
    for line in textwrap.wrap(title, width=22)[:3]:
        draw.text((MARGIN, y), line, font=_font(96), fill=INK)
        y += 112

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
