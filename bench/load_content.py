"""The content bench/load.py puts on its throwaway database: a show of episodes with audio, transcripts,
chapters, soundbites and people; concepts with their mentions; and the manifest of URLs locust's visitors
ask (see load.py's docstring for the figures)."""

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from loadkit import SEGMENT_MS, make_tone, segment_rows

TERMS = [
    "coproduction",
    "shared decision making",
    "health literacy",
    "teach-back",
    "safety culture",
    "patient leader",
    "what matters to you",
    "discharge plan",
]
SEARCHES = ["coproduction", "shared decision making", "ward round nurse", "family carer", "listen", "hope"]
WORDS = (  # noqa: SIM905 (a sentence is easier to read than a list of strings)
    "we the patient nurse doctor family carer talk listen decide together plan question answer choice risk "
    "benefit time home clinic appointment medicine trust team change hope worry ward round and it is was "
    "that so about people really think know"
).split()


def audio_rows(first, count: int):
    """``count`` AudioFile rows (the first one uploaded through the checks, the others its copies pointing
    at the same stored file): a transcript belongs to one AudioFile, so each episode needs its own row."""
    from episodes.models import AudioFile

    copies = AudioFile.objects.bulk_create(
        AudioFile(
            title=f"Episode {n + 1}",
            file=first.file.name,
            extension=first.extension,
            mime_type=first.mime_type,
            duration_ms=first.duration_ms,
            bitrate=first.bitrate,
            sample_rate=first.sample_rate,
            channels=first.channels,
            size=first.size,
            sha256=first.sha256,
        )
        for n in range(1, count)
    )
    return [first, *copies]


def create_content(args, workdir: Path) -> dict:
    """The show, its episodes, transcripts, concepts and mentions; returns the manifest for locust."""
    from django.db import transaction
    from wagtail.models import Site

    from concepts.factories import ConceptIndexPageFactory, ConceptPageFactory
    from concepts.linking import link_transcript
    from episodes.factories import AudioFileFactory, EpisodePageFactory, PersonFactory, ShowPageFactory
    from episodes.models import Chapter, EpisodePerson, ShowHost, Soundbite
    from transcripts.models import Segment, Transcript

    rng = random.Random(args.seed)  # noqa: S311 (reproducible text, not secrets)
    home = Site.objects.get(is_default_site=True).root_page.specific
    first = AudioFileFactory(path=make_tone(workdir / "tone.mp3", args.audio_seconds), title="Episode 1")
    audio = audio_rows(first, args.episodes)
    segments = max(1, first.duration_ms // SEGMENT_MS)
    with transaction.atomic():
        show = ShowPageFactory(parent=home, slug="the-power-of-coproduction")
        people = [PersonFactory(name=f"Person {n}", link=f"https://example.org/people/{n}") for n in range(6)]
        ShowHost.objects.create(page=show, person=people[0])
        concepts = ConceptIndexPageFactory(parent=home)
        concept_pages = [
            ConceptPageFactory(parent=concepts, title=term.capitalize(), slug=term.replace(" ", "-"))
            for term in TERMS
        ]
        first_date = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
        episodes = []
        for n, item in enumerate(audio):
            published = first_date + timedelta(days=7 * n)
            episodes.append(
                EpisodePageFactory(
                    parent=show,
                    title=f"Episode {n + 1}: deciding together, part {n + 1}",
                    slug=f"episode-{n + 1}",
                    summary="Two people talk about deciding together: what each brings, what each needs.",
                    show_notes="<p>What changed when a ward started asking <b>what matters to you</b>.</p>"
                    "<ul><li>Shared decisions</li><li>Patient leaders</li><li>What changed</li></ul>",
                    publication_date=published,
                    first_published_at=published,
                    last_published_at=published,
                    season=1,
                    episode_number=n + 1,
                    audio=item,
                )
            )
        EpisodePerson.objects.bulk_create(
            EpisodePerson(page=e, person=people[(n + i) % len(people)], role=role, sort_order=i)
            for n, e in enumerate(episodes)
            for i, role in enumerate(["host", "guest"])
        )
        step = first.duration_ms // 4
        Chapter.objects.bulk_create(
            Chapter(page=e, start_ms=i * step, title=f"Part {i + 1}: {rng.choice(TERMS)}", sort_order=i)
            for e in episodes
            for i in range(4)
        )
        Soundbite.objects.bulk_create(
            Soundbite(page=e, start_ms=step, duration_ms=min(30000, step), title="The key idea", sort_order=0)
            for e in episodes
        )
        # The upload queued a transcription of the tone (a queued Transcript row): replaced by a done one.
        Transcript.objects.filter(audio__in=audio).delete()
        transcripts = Transcript.objects.bulk_create(
            Transcript(audio=a, status=Transcript.DONE, audio_sha256=a.sha256, language="en", progress=1)
            for a in audio
        )
        rows = []
        for transcript in transcripts:
            # Two concepts in every episode, so that each page has its "concepts discussed".
            rows += segment_rows(
                transcript, segments, rng, WORDS, TERMS, lambda i: rng.choice(TERMS) if i < 2 else None
            )
        Segment.objects.bulk_create(rows, batch_size=1000)
        home.featured_show = show
        home.save_revision().publish()
    # Publishing the show (as an editor would) sets feed_changed_at, the feed's cache key.
    show.save_revision().publish()
    mentions = sum(link_transcript(t.pk) for t in transcripts)
    run_housekeeping()

    duration_s = first.duration_ms / 1000
    return {
        "home": home.url,
        "show": show.url,
        "show_pages": (len(episodes) - 1) // 20 + 1,  # episodes.models.shows.EPISODES_PER_PAGE
        "feed": f"/feeds/{show.pk}.xml",
        "concept_index": concepts.url,
        "concepts": [c.url for c in concept_pages],
        "searches": SEARCHES,
        "episodes": [
            {
                "url": e.url,
                "audio": a.url,
                "size": a.size,
                "duration_s": duration_s,
                # Chapters 2-4 (the soundbite is at the second): the moments people share links to.
                "moments": [i * step // 1000 for i in range(1, 4)],
            }
            for e, a in zip(episodes, audio, strict=True)
        ],
        "counts": {"segments": len(rows), "mentions": mentions},
    }


def run_housekeeping() -> None:
    """What the worker would do with Wagtail's queued tasks (search and reference index): the "default"
    queue only (the tone's transcription, on its own queue, is not wanted)."""
    from django.core.management import call_command

    call_command(
        "db_worker", "--batch", "--queue-name", "default", "--no-startup-delay", "--no-reload", verbosity=0
    )
