"""Which app, browser or bot a User-Agent is: the OPAWG user-agents-v2 patterns (analytics/data/).

The lists are public data (MIT, Open Podcast Analytics Working Group), kept in the repository as the JSON
files upstream publishes, so that counting needs no network and a refresh is a reviewed change
(``manage.py refresh_user_agents``, analytics/data/README.md). Matching follows upstream's deterministic
rule: newlines removed, then the files in the order bots, apps, libraries, browsers, and the first entry
whose pattern matches wins; the device (phone, watch, smart speaker...) comes from ``devices``.

Apple Watch: the Apple Podcasts app on watchOS (``atc/``, ``(null) watchOS/``) is in the bots file, as the
IAB Tech Lab's watchOS guidance asks (its downloads duplicate the phone's); other watch apps (Overcast on
the watch) are apps and count like any other.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings

DATA_DIR = Path(__file__).resolve().parent / "data"
# Upstream's matching order; devices is the optional second dimension.
KINDS = ("bots", "apps", "libraries", "browsers")
FILES = (*KINDS, "devices")
# No real User-Agent is longer; a longer one is cut before matching so that no header costs more than this.
MAX_LENGTH = 512
BOT, APP, LIBRARY, BROWSER, UNKNOWN = "bot", "app", "library", "browser", "unknown"
_KIND_OF_FILE = {"bots": BOT, "apps": APP, "libraries": LIBRARY, "browsers": BROWSER}


@dataclass(frozen=True)
class Agent:
    """What a User-Agent was matched to. ``name`` is the list's entry name (never the header itself), so
    it is safe to store and show; empty when nothing matched."""

    kind: str
    name: str
    device: str = ""
    device_category: str = ""

    @property
    def is_bot(self) -> bool:
        return self.kind == BOT


class PatternsError(ValueError):
    """A patterns file that cannot be used, with a message an operator can act on."""


def clean(user_agent: str | None) -> str:
    """The header as matched and hashed: newlines removed (upstream's rule), cut to MAX_LENGTH."""
    return (user_agent or "").replace("\r", "").replace("\n", "")[:MAX_LENGTH]


def load_entries(path: Path) -> list[tuple[str, re.Pattern, str]]:
    """``(name, compiled pattern, category)`` of each entry of one patterns file, in order; raises
    PatternsError naming the file and entry when the file does not have upstream's shape."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PatternsError(f"{Path(path).name}: not a readable JSON file ({error})") from None
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise PatternsError(f"{Path(path).name}: no 'entries' list")
    loaded, names, file = [], set(), Path(path).name
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"].strip():
            raise PatternsError(f"{Path(path).name}: entry {number} has no name")
        name = entry["name"]
        if name in names:
            raise PatternsError(f"{Path(path).name}: the name {name!r} is used twice")
        names.add(name)
        if not isinstance(entry.get("pattern"), str) or not entry["pattern"]:
            raise PatternsError(f"{Path(path).name}: entry {name!r} has no pattern")
        try:
            pattern = re.compile(entry["pattern"])
        except re.error as error:
            raise PatternsError(f"{file}: the pattern of {name!r} is not valid ({error})") from None
        if len(name) > 100:
            raise PatternsError(f"{Path(path).name}: the name {name[:40]!r}... is longer than 100 characters")
        loaded.append((name, pattern, str(entry.get("category") or "")))
    return loaded


def examples(path: Path) -> list[tuple[str, str]]:
    """``(entry name, example User-Agent)`` pairs of a patterns file: each must match its own entry."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return [(entry["name"], example) for entry in data["entries"] for example in entry.get("examples", [])]


class Matcher:
    """The patterns of one folder (analytics/data/ or a downloaded copy), compiled once."""

    def __init__(self, folder: Path = DATA_DIR):
        self.folder = Path(folder)
        self.lists = {name: load_entries(self.folder / f"{name}.json") for name in FILES}
        self.match = lru_cache(maxsize=4096)(self._match)  # a few hundred distinct agents a day

    def _match(self, user_agent: str) -> Agent:
        found = self.entry(user_agent)
        if found is None:
            kind, name = UNKNOWN, ""
        else:
            kind, name = found
        if kind == BOT:
            return Agent(kind, name)
        device = next(((n, c) for n, p, c in self.lists["devices"] if p.search(user_agent)), ("", ""))
        return Agent(kind, name, *device)

    def entry(self, user_agent: str) -> tuple[str, str] | None:
        """``(kind, name)`` of the first entry matching, in upstream's order, or None."""
        for file in KINDS:
            for name, pattern, _category in self.lists[file]:
                if pattern.search(user_agent):
                    return _KIND_OF_FILE[file], name
        return None


def check_folder(folder: Path) -> dict[str, int]:
    """Check a folder of patterns files as ``install_folder`` needs them: every file present and in
    upstream's shape, every pattern valid, and every example matched by its own entry in upstream's order
    (as upstream's own tests require). The number of entries per file; raises PatternsError."""
    folder = Path(folder)
    missing = [name for name in FILES if not (folder / f"{name}.json").is_file()]
    if missing:
        raise PatternsError(f"{', '.join(name + '.json' for name in missing)} missing in {folder}")
    checked = Matcher(folder)
    for file in KINDS:
        for name, example in examples(folder / f"{file}.json"):
            found = checked.entry(clean(example))
            if found != (_KIND_OF_FILE[file], name):
                raise PatternsError(
                    f"{file}.json: the example {example[:80]!r} of {name!r} is matched by "
                    f"{found[1] if found else 'nothing'!r} instead"
                )
    return {name: len(checked.lists[name]) for name in FILES}


def install_folder(source: Path, target: Path, commit: str = "") -> dict[str, int]:
    """Replace the patterns files of ``target`` with those of ``source`` once all of them pass
    ``check_folder`` (nothing is replaced otherwise); note the upstream commit in target's README."""
    counts = check_folder(source)
    for name in FILES:
        (Path(target) / f"{name}.json").write_bytes((Path(source) / f"{name}.json").read_bytes())
    readme = Path(target) / "README.md"
    if commit and readme.is_file():
        text = re.sub(r"at commit\s+`[0-9a-f]+`( \([^)]*\))?", f"at commit `{commit}`", readme.read_text())
        readme.write_text(text)
    _matcher_of.cache_clear()
    return counts


def data_dir() -> Path:
    """Where the patterns are read from and refreshed into: ANALYTICS_USER_AGENTS_DIR, else
    analytics/data/ (a deployment whose code is read-only points the setting at a writable copy)."""
    return Path(getattr(settings, "ANALYTICS_USER_AGENTS_DIR", "") or DATA_DIR)


def matcher() -> Matcher:
    return _matcher_of(str(data_dir()))


@lru_cache(maxsize=4)
def _matcher_of(folder: str) -> Matcher:
    return Matcher(Path(folder))


def identify(user_agent: str | None) -> Agent:
    """The app, browser or bot this User-Agent header names (``clean`` is applied first)."""
    return matcher().match(clean(user_agent))
