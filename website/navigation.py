"""The site's main sections (the shows, the interviews, the concepts), for the header and the home page."""

from __future__ import annotations

from dataclasses import dataclass, field

from wagtail.models import Page

from concepts.models import ConceptIndexPage
from episodes.models import InterviewIndexPage, ShowPage


@dataclass
class Sections:
    shows: list[Page] = field(default_factory=list)
    interviews: Page | None = None
    concepts: Page | None = None


def site_sections(root: Page | None) -> Sections:
    """The live, public show, interview index and concept pages just under ``root``, in one query.

    The pages are plain ``Page`` objects (title and URL are all a link needs), in the editor's order.
    """
    sections = Sections()
    if root is None:
        return sections
    children = root.get_children().live().public().type(ShowPage, InterviewIndexPage, ConceptIndexPage)
    for page in children:
        kind = page.specific_class
        if kind is not None and issubclass(kind, ShowPage):
            sections.shows.append(page)
        elif kind is not None and issubclass(kind, InterviewIndexPage):
            sections.interviews = sections.interviews or page
        elif kind is not None and issubclass(kind, ConceptIndexPage):
            sections.concepts = sections.concepts or page
    return sections
