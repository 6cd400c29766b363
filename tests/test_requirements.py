"""Every third-party module the code imports comes from a distribution pinned (``==``) in the requirements
file for that code: requirements.txt for the site, requirements-whisper.txt as well for the openai-whisper
engine, requirements-dev.txt as well for tests, the apps' test factories and benchmarks. A module that is
only there because something else happens to install it (lxml through feedgen, numpy through
faster-whisper) disappears the day that other package drops it."""

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {".venv", "node_modules", ".git", "static", "media"}
RUNTIME, DEV, WHISPER = "requirements.txt", "requirements-dev.txt", "requirements-whisper.txt"
SPEAKERS = "requirements-speakers.txt"  # `make install` installs it with the runtime
REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==\S+$")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned(filename: str) -> set[str]:
    """The distributions that ``filename`` pins, without those of the files it includes (``-r``)."""
    names = set()
    for line in (BASE_DIR / filename).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-r "):
            continue
        match = REQUIREMENT.match(line)
        assert match, f"{filename}: {line!r} is not pinned with =="
        names.add(normalise(match[1]))
    return names


def allowed_files(path: Path) -> tuple[str, ...]:
    relative = path.relative_to(BASE_DIR).as_posix()
    if relative.startswith(("tests/", "bench/")):
        return (RUNTIME, DEV, WHISPER, SPEAKERS)  # `make test` installs all four
    if path.name == "factories.py":  # each app's test factories (STYLE.md 9): tests import them
        return (RUNTIME, DEV)
    if relative == "transcripts/engines/openai_whisper.py":
        return (RUNTIME, WHISPER)
    if relative == "transcripts/diarization.py":
        return (RUNTIME, SPEAKERS)
    return (RUNTIME,)


def python_files():
    for path in sorted(BASE_DIR.rglob("*.py")):
        if not SKIPPED_DIRS & set(path.relative_to(BASE_DIR).parts):
            yield path


def top_level_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def is_local(name: str, path: Path) -> bool:
    """The project's own packages, and modules beside the importing script (bench/loadkit.py)."""
    return any(
        (folder / name).is_dir() or (folder / f"{name}.py").is_file() for folder in (BASE_DIR, path.parent)
    )


def test_every_requirement_is_pinned():
    for filename in (RUNTIME, DEV, WHISPER, SPEAKERS):
        assert pinned(filename), filename


def test_every_third_party_import_is_pinned_where_the_code_is_installed():
    distributions = importlib.metadata.packages_distributions()
    pins = {filename: pinned(filename) for filename in (RUNTIME, DEV, WHISPER, SPEAKERS)}
    problems = []
    for path in python_files():
        allowed = set().union(*(pins[filename] for filename in allowed_files(path)))
        for name in sorted(top_level_imports(path)):
            if name in sys.stdlib_module_names or name == "__future__" or is_local(name, path):
                continue
            provided_by = {normalise(d) for d in distributions.get(name, [])}
            if not provided_by & allowed:
                problems.append(
                    f"{path.relative_to(BASE_DIR)} imports {name} "
                    f"(from {', '.join(sorted(provided_by)) or 'no installed distribution'}), "
                    f"not pinned in {' or '.join(allowed_files(path))}"
                )
    assert problems == [], "\n".join(problems)
