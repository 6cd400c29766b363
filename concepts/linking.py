"""Linking concepts to the moments where they are discussed: ``Mention`` rows, found, never typed in.

Three entry points, each idempotent (running one twice changes nothing the second time), each run in the
background by ``concepts.tasks``:

- ``link_transcript``: after a transcript is finished, corrected or imported: every concept in its
  segments, for every episode or interview that uses its audio;
- ``link_page_text``: after an interview is published: every concept in its written body;
- ``link_concept``: after a concept is published (its term or aliases may have changed): that concept
  across the whole catalogue. Segments are first narrowed in the database to those containing the
  start of one of its names, so a new concept is linked across thousands of hours in seconds.

Each compares what it finds with the mentions already stored and only deletes, adds or updates the
difference, so a mention an editor hid stays hidden as long as it still matches. Matching rules:
``concepts.matching``. Mentions are kept for every finished transcript, current or not: which of them a
visitor sees is decided when they are read (``Mention.objects.visible``, through
``Transcript.objects.published``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils.html import strip_tags

from episodes.models import EpisodePage, InterviewPage
from transcripts.models import Segment, Transcript

from .matching import Matcher, literal_prefix
from .models import ConceptPage, Mention
from .purges import mentions_changed

SEGMENT_CHUNK = 2000
_SENTENCE = re.compile(r"[^.!?]*(?:[.!?]+|$)")


def all_names() -> dict[int, list[str]]:
    """Every concept's names (term and aliases), by page id."""
    return {
        pk: ConceptPage(title=title, other_names=other_names).names
        for pk, title, other_names in ConceptPage.objects.values_list("pk", "title", "other_names")
    }


def matcher() -> Matcher:
    return Matcher(all_names())


def pages_using(audio_ids: Iterable[int]) -> dict[int, list[int]]:
    """Ids of the episodes and interviews using each audio file, by audio id."""
    pages: dict[int, list[int]] = {}
    for model in (EpisodePage, InterviewPage):
        for audio_id, page_id in model.objects.filter(audio_id__in=list(audio_ids)).values_list(
            "audio_id", "pk"
        ):
            pages.setdefault(audio_id, []).append(page_id)
    return pages


def link_transcript(transcript_id: int) -> int:
    """Mentions in one transcript's segments; returns how many there are now."""
    transcript = Transcript.objects.filter(pk=transcript_id).first()
    if transcript is None or transcript.status != Transcript.DONE:
        return 0  # a transcript being redone keeps its old mentions until the new segments are in
    found = matcher()
    page_ids = pages_using([transcript.audio_id]).get(transcript.audio_id, [])
    desired = {}
    segments = transcript.segments.values_list("pk", "start_ms", "text")
    for segment_id, start_ms, text in segments.iterator(chunk_size=SEGMENT_CHUNK):
        for concept_id in found.keys_in(text):
            for page_id in page_ids:
                desired[(concept_id, page_id, segment_id)] = {"start_ms": start_ms, "quote": text}
    return _sync(Mention.objects.filter(segment__transcript=transcript), desired)


def link_page_text(page_id: int) -> int:
    """Mentions in an interview's written body (questions, answers, pull quotes, paragraphs)."""
    page = InterviewPage.objects.filter(pk=page_id).first()
    existing = Mention.objects.filter(page_id=page_id, segment__isnull=True)
    if page is None:
        return _sync(existing, {})
    found = matcher()
    desired = {}
    for block_id, text in _blocks_text(page):
        for match in found.find(text):
            desired.setdefault(
                (match.key, page.pk, block_id), {"start_ms": None, "quote": _sentence_at(text, match.start)}
            )
    return _sync(existing, desired)


def link_concept(concept_id: int) -> int:
    """One concept across every finished transcript and every interview; returns its mention count."""
    concept = ConceptPage.objects.filter(pk=concept_id).first()
    if concept is None:
        return 0
    found = matcher()
    # The regular expression of each name starts with a literal: the first word, less a final "e" or
    # "y" that an inflection may change. Only segments containing one of them can match.
    prefixes = {literal_prefix(name) for name in concept.names} - {""}
    candidates = Segment.objects.none()
    if prefixes:
        query = Q()
        for prefix in prefixes:
            query |= Q(text__icontains=prefix)
        candidates = Segment.objects.filter(query, transcript__status=Transcript.DONE)
    rows = list(candidates.values_list("pk", "start_ms", "text", "transcript__audio_id"))
    pages = pages_using({row[3] for row in rows})
    desired = {}
    for segment_id, start_ms, text, audio_id in rows:
        if concept.pk in found.keys_in(text):
            for page_id in pages.get(audio_id, []):
                desired[(concept.pk, page_id, segment_id)] = {"start_ms": start_ms, "quote": text}
    count = _sync(Mention.objects.filter(concept=concept, segment__isnull=False), desired)
    for interview_id in InterviewPage.objects.values_list("pk", flat=True):
        link_page_text(interview_id)
    return count + Mention.objects.filter(concept=concept, segment__isnull=True).count()


@transaction.atomic
def _sync(existing, desired: dict[tuple, dict]) -> int:
    """Make the mentions in ``existing`` exactly ``desired`` ({(concept, page, segment or block id):
    fields}), touching only the difference and keeping each kept row's ``hidden``."""
    stale, changed, touched = [], [], set()
    for mention in existing.only(
        "pk", "concept_id", "page_id", "segment_id", "block_id", "start_ms", "quote"
    ):
        key = (mention.concept_id, mention.page_id, mention.segment_id or mention.block_id)
        fields = desired.pop(key, None)
        if fields is None:
            stale.append(mention.pk)
            touched.add((mention.concept_id, mention.page_id))
        elif (mention.start_ms, mention.quote) != (fields["start_ms"], fields["quote"]):
            mention.start_ms, mention.quote = fields["start_ms"], fields["quote"]
            changed.append(mention)
            touched.add((mention.concept_id, mention.page_id))
    touched.update((concept_id, page_id) for concept_id, page_id, _where in desired)
    # Written in bulk, without signals: purge the concept pages and pages whose mentions changed.
    mentions_changed(touched)
    if stale:
        Mention.objects.filter(pk__in=stale).delete()
    if changed:
        Mention.objects.bulk_update(changed, ["start_ms", "quote"], batch_size=500)
    Mention.objects.bulk_create(
        [
            Mention(
                concept_id=concept_id,
                page_id=page_id,
                segment_id=where if isinstance(where, int) else None,
                block_id=where if isinstance(where, str) else "",
                **fields,
            )
            for (concept_id, page_id, where), fields in desired.items()
        ],
        batch_size=500,
    )
    return existing.count()


def _blocks_text(page) -> Iterable[tuple[str, str]]:
    for block in page.body:
        value = block.value
        if block.block_type == "question":
            text = value["text"]
        elif block.block_type == "answer":
            text = strip_tags(value["text"].source)
        elif block.block_type == "pull_quote":
            text = value["quote"]
        elif block.block_type == "paragraph":
            text = strip_tags(value.source)
        else:
            continue
        yield block.id, " ".join(text.split())


def _sentence_at(text: str, position: int) -> str:
    """The sentence of ``text`` around ``position``."""
    for sentence in _SENTENCE.finditer(text):
        if sentence.start() <= position < sentence.end():
            return sentence.group().strip()
    return text
