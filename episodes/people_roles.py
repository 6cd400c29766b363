"""People's roles on a page, and how the feed names them in ``podcast:person``.

The Podcasting 2.0 namespace takes roles and groups from its taxonomy
(https://github.com/Podcastindex-org/podcast-namespace/blob/main/taxonomy.json), matched without regard to
case; an app that does not find a role there may drop the person or call them a host. Our editors choose
from a short list; this module maps each choice to a taxonomy role and its group, and
:func:`taxonomy_problems` checks the map against the part of the taxonomy copied here, so that a new choice
without a valid mapping fails the tests rather than reaching podcast apps.
"""

from __future__ import annotations

# The part of taxonomy.json we use, as {group: roles}, lower-cased as we write them.
TAXONOMY: dict[str, frozenset[str]] = {
    "cast": frozenset({"host", "co-host", "guest host", "guest", "narrator", "announcer", "reporter"}),
    "creative direction": frozenset({"executive producer", "producer", "associate producer"}),
    "writing": frozenset({"writer", "researcher", "editor", "transcriber"}),
    "audio production": frozenset({"audio engineer", "post production engineer"}),
    "audio post-production": frozenset({"audio editor", "sound designer", "composer", "theme music"}),
}

# (value stored, label editors see, taxonomy role, taxonomy group). An "editor" of a podcast edits its
# audio (the taxonomy's "editor" under writing edits scripts); the taxonomy has no interviewer, and its
# reporter is the cast member who interviews.
ROLES: list[tuple[str, str, str, str]] = [
    ("host", "Host", "host", "cast"),
    ("co-host", "Co-host", "co-host", "cast"),
    ("guest", "Guest", "guest", "cast"),
    ("producer", "Producer", "producer", "creative direction"),
    ("editor", "Editor", "audio editor", "audio post-production"),
    ("composer", "Composer", "composer", "audio post-production"),
    ("interviewer", "Interviewer", "reporter", "cast"),
]

PERSON_ROLES = [(value, label) for value, label, _role, _group in ROLES]
_FEED_ROLES = {value: (role, group) for value, _label, role, group in ROLES}
# Reading a feed back (import): a taxonomy role, or one of our own values, to our value.
_FROM_FEED = {role: value for value, _label, role, _group in ROLES} | {value: value for value, *_ in ROLES}


def feed_role(value: str) -> tuple[str, str]:
    """``(role, group)`` for ``podcast:person``; an unknown value counts as a guest."""
    return _FEED_ROLES.get(value, _FEED_ROLES["guest"])


def role_from_feed(role: str) -> str | None:
    """Our value for a role read from a feed (any case), or None when we have no such role."""
    return _FROM_FEED.get(role.strip().lower())


def taxonomy_problems() -> list[str]:
    """Roles whose taxonomy role or group is not in the taxonomy, or is in another group."""
    problems = []
    for value, _label, role, group in ROLES:
        if group not in TAXONOMY:
            problems.append(f"{value}: {group!r} is not a group of the podcast:person taxonomy")
        elif role not in TAXONOMY[group]:
            problems.append(f"{value}: {role!r} is not a role of the group {group!r}")
    return problems
