"""The site the permission matrix runs against: a live episode, the episodes nobody outside the admin may
see, the one whose audio was replaced under its corrected transcript, a user of each role, and the markers
that must not reach a public response. test_permission_matrix.py's docstring says what each is for; the
keys (LIVE, DRAFT, ...) name the episodes in ``World.hidden`` and ``World.transcripts``."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files import File
from django.test import Client
from django.urls import reverse
from wagtail.models import PageViewRestriction, Site

from concepts.factories import ConceptIndexPageFactory, ConceptPageFactory
from concepts.linking import link_transcript
from episodes.delivery.preparing import request_delivery, run_delivery
from episodes.factories import AudioFileFactory, EpisodePageFactory, PersonFactory, ShowPageFactory
from episodes.models import Chapter, EpisodePage
from episodes.uploads import AudioFileUploadForm
from search.indexing import index_transcript
from transcripts.models import Segment, Transcript

# The word every hidden item says or is titled with, so that one search could find them all.
HIDDEN_WORD = "quokka"

LIVE, DRAFT, UNPUBLISHED, PENDING, MEMBERS, PASSWORD, REPLACED = (
    "live",
    "draft",
    "unpublished",
    "pending",
    "members",
    "password",
    "replaced",
)


@dataclass
class World:
    users: dict[str, object]
    home: object
    show: object
    live: EpisodePage
    hidden: dict[str, EpisodePage]  # draft, unpublished, pending, members, password
    replaced: EpisodePage  # live and public; its corrected transcript is of the audio it had before
    transcripts: dict[str, Transcript]
    concept: object
    spare_audio: object  # used by no page: for the delete view
    markers: list[str] = field(default_factory=list)


def transcribe(audio, lines):
    transcript = Transcript.objects.create(
        audio=audio, status=Transcript.DONE, audio_sha256=audio.sha256, language="en"
    )
    Segment.objects.bulk_create(
        Segment(transcript=transcript, index=i, start_ms=i * 1000, end_ms=i * 1000 + 900, text=line)
        for i, line in enumerate(lines)
    )
    index_transcript(transcript.pk)
    link_transcript(transcript.pk)
    return transcript


def hidden_episode(show, audio, key: str, **kwargs) -> tuple[EpisodePage, Transcript]:
    """An episode whose title, summary, chapter and transcript carry the marker ``zz<key>…``."""
    episode = EpisodePageFactory(
        parent=show,
        audio=audio,
        title=f"The {HIDDEN_WORD} episode zz{key}title",
        summary=f"A {HIDDEN_WORD} summary zz{key}summary.",
        **kwargs,
    )
    Chapter.objects.create(page=episode, start_ms=0, title=f"A {HIDDEN_WORD} chapter zz{key}chapter")
    transcript = transcribe(audio, [f"Coproduction with a {HIDDEN_WORD}, zz{key}line."])
    return episode, transcript


def build_world(audio_dir, client: Client) -> World:
    home = Site.objects.get(is_default_site=True).root_page.specific
    show = ShowPageFactory(parent=home, title="The Power of Coproduction", slug="coproduction")
    concepts = ConceptIndexPageFactory(parent=home)
    concept = ConceptPageFactory(parent=concepts, title="Coproduction", slug="coproduction-concept")
    PersonFactory(name="Amara Okafor")

    live = EpisodePageFactory(
        parent=show,
        audio=AudioFileFactory(path=audio_dir / "tone.mp3"),
        title="Deciding together",
        summary="Two people talk about coproduction.",
    )
    Chapter.objects.create(page=live, start_ms=0, title="Hello")
    transcripts = {"live": transcribe(live.audio, ["Coproduction means deciding together."])}

    hidden: dict[str, EpisodePage] = {}
    for key, ext, kwargs in [
        ("draft", "ogg", {"live": False}),
        ("unpublished", "flac", {}),
        ("pending", "wav", {"live": False}),
        ("members", "m4a", {}),
        ("password", "opus", {}),
    ]:
        audio = AudioFileFactory(path=audio_dir / f"tone.{ext}")
        hidden[key], transcripts[key] = hidden_episode(show, audio, key, **kwargs)
    PageViewRestriction.objects.create(page=hidden["members"], restriction_type=PageViewRestriction.LOGIN)
    PageViewRestriction.objects.create(
        page=hidden["password"], restriction_type=PageViewRestriction.PASSWORD, password="sesame"
    )

    User = get_user_model()
    users = {"anonymous": None}
    for role, group in [("editor", "Editors"), ("moderator", "Moderators")]:
        user = User.objects.create_user(role, f"{role}@example.org", "pw")
        user.groups.add(Group.objects.get(name=group))
        users[role] = user
    users["administrator"] = User.objects.create_superuser("administrator", "admin@example.org", "pw")

    # A FLAC episode enters the feed with its file for listeners (issue 14): prepare it, as a worker would.
    run_delivery(request_delivery(hidden["unpublished"].audio, enqueue=False).pk)
    # Served while live (the feed is cached), then unpublished: the cached copy must not outlive it.
    assert b"zzunpublishedtitle" in client.get(reverse("episodes:feed", args=[show.pk])).content
    hidden["unpublished"].unpublish()

    # An editor submits the pending episode: it waits for a moderator.
    pending = hidden["pending"]
    pending.save_revision(user=users["editor"])
    pending.get_workflow().start(pending, users["editor"])

    # The live episode gets a revision that is saved but not published.
    revised = EpisodePage.objects.get(pk=live.pk)
    revised.title = f"Deciding {HIDDEN_WORD} zzrevisiontitle"
    revised.summary = f"Changed {HIDDEN_WORD} zzrevisionsummary."
    revised.save_revision(user=users["editor"])

    spare = AudioFileFactory(path=audio_dir / "tone.aac", title="Spare")

    # An editor corrects the transcript, then the audio file is replaced (new content, new sha256): the
    # corrections are kept, and the transcript stays DONE, of the old content.
    replaced = EpisodePageFactory(parent=show, audio=AudioFileFactory(path=audio_dir / "stereo48k.flac"))
    transcripts[REPLACED] = transcribe(
        replaced.audio, [f"Coproduction with a {HIDDEN_WORD}, zzreplacedline."]
    )
    Transcript.objects.filter(pk=transcripts[REPLACED].pk).update(edited=True)
    with (audio_dir / "speech.mp3").open("rb") as fh:
        form = AudioFileUploadForm(
            data={"title": replaced.audio.title},
            files={"file": File(fh, name="speech.mp3")},
            instance=replaced.audio,
        )
        assert form.is_valid(), form.errors
        form.save()

    markers = [f"zz{key}{part}" for key in hidden for part in ("title", "summary", "chapter", "line")]
    markers += ["zzrevisiontitle", "zzrevisionsummary", "zzreplacedline"]
    markers.append(reverse("transcripts:file", args=[transcripts[REPLACED].pk, "vtt"]))
    for key, episode in hidden.items():
        markers.append(episode.audio.url)
        markers.append(reverse("transcripts:file", args=[transcripts[key].pk, "vtt"]))
    return World(
        users=users,
        home=home,
        show=show,
        live=EpisodePage.objects.get(pk=live.pk),
        hidden={key: EpisodePage.objects.get(pk=page.pk) for key, page in hidden.items()},
        replaced=EpisodePage.objects.get(pk=replaced.pk),
        transcripts=transcripts,
        concept=concept,
        spare_audio=spare,
        markers=markers,
    )
