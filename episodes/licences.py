"""The licences an editor may choose for a show or an episode, as ``podcast:license`` states them.

Educators ask first whether they may reuse a recording in their teaching; a Creative Commons licence answers
that in a way apps and directories can read. The tag's text is the licence's SPDX identifier, lower-cased as
the Podcasting 2.0 spec asks, and its ``url`` the legal text. "All rights reserved" has no SPDX identifier:
it is written as the custom licence ``all-rights-reserved``, with the show's page as its ``url`` (the spec
requires one for a custom licence), so that an episode can say so even when its show is openly licensed.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_RIGHTS_RESERVED = "all-rights-reserved"


@dataclass(frozen=True)
class Licence:
    identifier: str  # what podcast:license carries: the SPDX identifier, lower-cased
    label: str
    url: str  # the legal text; empty for all rights reserved (the feed uses the show's page)


LICENCES: dict[str, Licence] = {
    licence.identifier: licence
    for licence in (
        Licence("cc-by-4.0", "CC BY 4.0 (reuse with credit)", "https://creativecommons.org/licenses/by/4.0/"),
        Licence(
            "cc-by-sa-4.0",
            "CC BY-SA 4.0 (reuse with credit, share alike)",
            "https://creativecommons.org/licenses/by-sa/4.0/",
        ),
        Licence(
            "cc-by-nc-4.0",
            "CC BY-NC 4.0 (non-commercial reuse with credit)",
            "https://creativecommons.org/licenses/by-nc/4.0/",
        ),
        Licence(
            "cc-by-nc-sa-4.0",
            "CC BY-NC-SA 4.0 (non-commercial, share alike)",
            "https://creativecommons.org/licenses/by-nc-sa/4.0/",
        ),
        Licence(
            "cc-by-nd-4.0",
            "CC BY-ND 4.0 (share unchanged with credit)",
            "https://creativecommons.org/licenses/by-nd/4.0/",
        ),
        Licence(
            "cc-by-nc-nd-4.0",
            "CC BY-NC-ND 4.0 (share unchanged, non-commercial)",
            "https://creativecommons.org/licenses/by-nc-nd/4.0/",
        ),
        Licence(
            "cc0-1.0",
            "CC0 1.0 (public domain dedication)",
            "https://creativecommons.org/publicdomain/zero/1.0/",
        ),
        Licence(ALL_RIGHTS_RESERVED, "All rights reserved", ""),
    )
}

SHOW_LICENCE_CHOICES = [("", "Not stated")] + [(key, licence.label) for key, licence in LICENCES.items()]
EPISODE_LICENCE_CHOICES = [("", "As the show")] + [(key, licence.label) for key, licence in LICENCES.items()]


def effective_licence(episode_licence: str, show_licence: str) -> Licence | None:
    """The licence that applies to an episode: its own, else its show's; None when neither states one."""
    return LICENCES.get(episode_licence or show_licence)
