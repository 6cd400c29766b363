"""Chapters suggested from the transcript: the method (transcripts/chapters.py) on transcripts written for
the purpose, and the admin page where an editor accepts some of them into a new draft."""

import random

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from wagtail.models import GroupPagePermission

from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from episodes.models import Chapter, EpisodePage
from tests.audio import tone
from transcripts.chapters import Suggestion, stem, suggest_chapters
from transcripts.models import Segment, Transcript

DECISIONS = [
    "Today we are talking about shared decision making between patients and clinicians.",
    "Shared decision making means the patient and the doctor choose a treatment together.",
    "The clinician brings the evidence about options, benefits and risks.",
    "The patient brings what matters to them, their values and their preferences.",
    "A decision aid can lay out the options side by side so the choice is clearer.",
    "Many patients were never asked which option they preferred before a decision was made.",
    "When the risks are explained in plain numbers, patients weigh the options with more confidence.",
    "Some doctors worry that shared decisions take longer in a busy clinic.",
    "In our study the consultations took only a couple of minutes longer with a decision aid.",
    "Patients who share the decision are less likely to regret their choice afterwards.",
    "It helps to ask the patient what they already understand about their options.",
    "Then the clinician can describe each option, including doing nothing at all.",
    "Preferences differ: one person values a quick recovery, another avoids any risk of surgery.",
    "The decision belongs to the patient once they understand the benefits and harms.",
    "Clinicians need training to talk about uncertainty and risk honestly.",
    "Decision aids should be written with patients, not only for them.",
    "A good question for the patient is which outcome matters most to you.",
    "Sharing decisions also means accepting a choice the clinician would not make.",
    "Families often want a say in the decision as well, and that is welcome.",
    "So shared decision making is a conversation about options, evidence and values.",
]
MEDICATION = [
    "Now let us turn to medication safety, which is a very different subject.",
    "Errors with medicines happen most often when prescriptions change at hospital discharge.",
    "The pharmacist checks every prescription for doses that are too high or interactions between drugs.",
    "Patients taking many tablets at once are at the highest risk of a harmful interaction.",
    "A medication review with the pharmacist can stop drugs that are no longer needed.",
    "Labels on the packet should say clearly how many tablets to take and when.",
    "Some medicines look alike, so a pharmacy stores them apart to prevent mix-ups.",
    "An accurate list of current medicines is the single best protection against errors.",
    "Bring every tablet, inhaler and cream to the pharmacy for the review.",
    "Double checking a high risk drug such as insulin or warfarin catches many mistakes.",
    "Electronic prescribing warns the prescriber when a dose is outside the usual range.",
    "Reporting a medication error without blame helps the pharmacy learn from it.",
    "Patients can ask the pharmacist what each tablet is for and what side effects to watch for.",
    "Swallowing problems mean some tablets must be given as liquid medicines instead.",
    "Antibiotics should be taken for the whole prescribed course at the right dose.",
    "Storing medicines in a locked cupboard keeps them away from children.",
    "Pharmacists now work inside many surgeries and review prescriptions there.",
    "A dosette box sorts tablets by day and time, which reduces missed doses.",
    "Insulin pens and inhalers need checking because the technique affects the dose.",
    "So medication safety depends on accurate lists, clear labels and pharmacist reviews.",
]
SELF_CARE = [
    "Our last topic is self care at home, looking after yourself between appointments.",
    "Self care starts with sleep, exercise, food and keeping in touch with friends.",
    "A gentle walk every morning keeps the joints moving and lifts the mood.",
    "Eating fruit and vegetables and drinking enough water helps recovery at home.",
    "Keep a diary of symptoms so you notice when something changes.",
    "Friends and neighbours can help with shopping, cooking and getting out of the house.",
    "Breathing exercises and stretching are easy to do at home without equipment.",
    "A thermometer and a blood pressure monitor at home let you check yourself.",
    "Loneliness harms health, so a phone call with family every day really matters.",
    "Plan your week so that rest and activity are balanced and you do not overdo it.",
    "Community groups offer walking clubs, gardening and cooking classes nearby.",
    "Self care is not selfish: looking after yourself lets you look after others.",
    "Set small goals, like walking to the end of the street, and build on them.",
    "Make your home safe by removing rugs that slip and adding a rail on the stairs.",
    "Gardening gives fresh air, gentle exercise and something to look forward to.",
    "Write down questions at home so the next appointment covers what matters.",
    "Relaxation, hobbies and music all help with stress and with sleep.",
    "Carers need self care too, including breaks and time with friends.",
    "Online groups connect people at home who cannot easily get out.",
    "So self care at home is about sleep, exercise, food, friends and small goals.",
]
# Words a title may take from each topic.
TOPIC_WORDS = {
    id(DECISIONS): {"decision", "decisions", "patients", "patient", "options", "shared", "clinician"},
    id(MEDICATION): {
        "tablets",
        "dose",
        "doses",
        "medicines",
        "medication",
        "pharmacist",
        "pharmacy",
        "drugs",
    },
    id(SELF_CARE): {"self", "care", "home", "friends", "exercise", "sleep", "walking"},
}


def segments(*topics, seconds=9):
    """One segment per sentence, ``seconds`` apart, each ending a little before the next starts."""
    rows, start = [], 0
    for topic in topics:
        for text in topic:
            rows.append({"start_ms": start, "end_ms": start + seconds * 1000 - 400, "text": text})
            start += seconds * 1000
    return rows


def title_words(suggestion):
    return set(suggestion.title.lower().replace(",", " ").split())


# The method


@pytest.mark.parametrize("seconds", [6, 9, 12])
@pytest.mark.parametrize(
    "topics",
    [
        (DECISIONS, MEDICATION, SELF_CARE),
        (SELF_CARE, DECISIONS, MEDICATION),
        (MEDICATION, SELF_CARE, DECISIONS),
    ],
    ids=["decisions-first", "self-care-first", "medication-first"],
)
def test_three_topics_give_three_chapters_at_the_changes(topics, seconds):
    rows = segments(*topics, seconds=seconds)
    topic_ms = len(DECISIONS) * seconds * 1000

    chapters = suggest_chapters(rows, min_chapter_ms=60_000)

    assert [c.start_ms for c in chapters][0] == 0
    assert len(chapters) == 3
    for chapter, true_start in zip(chapters[1:], (topic_ms, 2 * topic_ms), strict=True):
        # Within one segment of where the topic really changes, and at a segment's start.
        assert abs(chapter.start_ms - true_start) <= seconds * 1000
        assert chapter.start_ms in {row["start_ms"] for row in rows}
        assert chapter.score > 0.3
    for chapter, topic in zip(chapters, topics, strict=True):
        assert title_words(chapter) & TOPIC_WORDS[id(topic)], chapter.title
        for other in topics:
            if other is not topic:
                assert not title_words(chapter) & TOPIC_WORDS[id(other)], chapter.title


def test_the_default_settings_find_the_same_changes_in_a_nine_minute_talk():
    chapters = suggest_chapters(segments(DECISIONS, MEDICATION, SELF_CARE))

    assert [round(c.start_ms / 9000) for c in chapters] in ([0, 20, 40], [0, 21, 40])
    assert chapters[0].title == "Decision, patients, options"
    assert chapters[0].keywords == ("decision", "patients", "options")


@pytest.mark.parametrize(
    "topic", [DECISIONS, MEDICATION, SELF_CARE], ids=["decisions", "medication", "self-care"]
)
@pytest.mark.parametrize("seconds", [6, 9, 12])
def test_a_talk_on_one_topic_is_one_chapter(topic, seconds):
    chapters = suggest_chapters(segments(topic, seconds=seconds), min_chapter_ms=60_000)

    assert [c.start_ms for c in chapters] == [0]
    assert title_words(chapters[0]) & TOPIC_WORDS[id(topic)]


def test_no_segments_no_chapters():
    assert suggest_chapters([]) == []


@pytest.mark.parametrize(
    ("texts", "title", "keywords"),
    [
        (["Hello and welcome."], "Hello, welcome", ("hello", "welcome")),
        (["Um.", "Yeah, so."], "Um. Yeah, so.", ()),  # no topic words: titled by its opening words
        (["", "   "], "Chapter 1", ()),
    ],
)
def test_a_very_short_transcript_is_one_chapter(texts, title, keywords):
    rows = [{"start_ms": 2000 * i, "end_ms": 2000 * i + 1500, "text": text} for i, text in enumerate(texts)]
    assert suggest_chapters(rows) == [Suggestion(start_ms=0, title=title, keywords=keywords)]


def test_segment_rows_from_the_database_work_as_well(db, audio_dir):
    transcript = Transcript.objects.create(audio=AudioFileFactory(path=audio_dir / "tone.mp3"), status="done")
    Segment.objects.bulk_create(
        Segment(transcript=transcript, index=i, **row)
        for i, row in enumerate(segments(DECISIONS, MEDICATION, SELF_CARE))
    )
    assert suggest_chapters(transcript.segments.all()) == suggest_chapters(
        segments(DECISIONS, MEDICATION, SELF_CARE)
    )


def test_chapters_are_never_shorter_than_the_minimum():
    rows = segments(DECISIONS, MEDICATION, SELF_CARE)  # topics change at 3:00 and 6:00, ends at 9:00
    end = rows[-1]["end_ms"]

    chapters = suggest_chapters(rows, min_chapter_ms=175_000)

    starts = [c.start_ms for c in chapters] + [end]
    assert len(chapters) == 2  # the two changes are 3 minutes apart: only one can be kept
    assert all(b - a >= 175_000 for a, b in zip(starts, starts[1:], strict=False))
    assert len(suggest_chapters(rows, min_chapter_ms=170_000)) == 3
    assert [c.start_ms for c in suggest_chapters(rows, min_chapter_ms=end)] == [0]


def test_no_more_chapters_than_asked_for_the_clearest_changes_first():
    rows = segments(DECISIONS, MEDICATION, SELF_CARE)
    everything = suggest_chapters(rows, min_chapter_ms=60_000)
    deepest = max(everything[1:], key=lambda c: c.score)

    two = suggest_chapters(rows, min_chapter_ms=60_000, max_chapters=2)

    assert [c.start_ms for c in two] == [0, deepest.start_ms]
    assert [c.start_ms for c in suggest_chapters(rows, max_chapters=1)] == [0]


def test_the_same_segments_in_any_order_give_the_same_suggestions():
    rows = segments(DECISIONS, MEDICATION, SELF_CARE)
    shuffled = rows[:]
    random.Random(4).shuffle(shuffled)  # noqa: S311 (a fixed order, not a secret)

    assert suggest_chapters(shuffled) == suggest_chapters(rows) == suggest_chapters(rows)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"start_ms": -5, "end_ms": 10, "text": "x"}, "Segment 1: start_ms must be whole milliseconds"),
        ({"start_ms": 5.5, "end_ms": 10, "text": "x"}, "Segment 1: start_ms must be whole milliseconds"),
        ({"start_ms": 5000, "end_ms": 10, "text": "x"}, "Segment 1: ends (10 ms) before it starts (5000 ms)"),
        ({"start_ms": 5000, "end_ms": 6000, "text": None}, "Segment 1: text must be a string"),
        ({"start_ms": 5000, "text": "x"}, "Segment 1: end_ms must be whole milliseconds"),
    ],
)
def test_a_malformed_segment_is_named_in_the_error(row, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        suggest_chapters([{"start_ms": 0, "end_ms": 900, "text": "Hello."}, row])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_chapters": 0}, "max_chapters must be a whole number of at least 1, not 0"),
        ({"min_chapter_ms": "60"}, "min_chapter_ms must be a whole number of at least 1, not '60'"),
        ({"window_ms": -1}, "window_ms must be"),
        ({"min_depth": 3}, "min_depth must be between 0 and 2"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(options, message):
    with pytest.raises(ValueError, match=message):
        suggest_chapters([], **options)


@pytest.mark.parametrize(
    "forms", [("dose", "doses"), ("deciding", "decided", "decides"), ("hospital", "hospitals"), ("status",)]
)
def test_forms_of_a_word_are_counted_as_one(forms):
    assert len({stem(form) for form in forms}) == 1
    assert all(len(stem(form)) >= 3 for form in forms)


# The admin page

URL_NAME = "transcripts_suggest_chapters"


@pytest.fixture(scope="module")
def long_audio(tmp_path_factory):
    """A real 9 minute 20 second file, long enough for the transcript below."""
    return tone(tmp_path_factory.mktemp("long") / "long.mp3", 560, rate=8000)


@pytest.fixture
def episode(home_page, long_audio):
    show = ShowPageFactory(parent=home_page)
    return EpisodePageFactory(parent=show, audio=AudioFileFactory(path=long_audio, title="Long talk"))


@pytest.fixture
def transcript(episode):
    transcript = Transcript.objects.create(
        audio=episode.audio, status="done", language="en", audio_sha256=episode.audio.sha256
    )
    Segment.objects.bulk_create(
        Segment(transcript=transcript, index=i, **row)
        for i, row in enumerate(segments(DECISIONS, MEDICATION, SELF_CARE))
    )
    return transcript


@pytest.fixture
def suggestions(transcript):
    return suggest_chapters(transcript.segments.all())


def url(episode):
    return reverse(URL_NAME, args=[episode.pk])


def form_data(rows, ticked: dict[int, str]):
    """What the browser sends: every suggestion, with ``ticked`` (index -> title) ticked."""
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "50",
    }
    for i, (start_ms, title) in enumerate(rows):
        data[f"form-{i}-start_ms"] = str(start_ms)
        data[f"form-{i}-title"] = ticked.get(i, title)
        if i in ticked:
            data[f"form-{i}-add"] = "on"
    return data


def messages_of(response):
    return [str(message).strip() for message in get_messages(response.wsgi_request)]


def draft_chapters(episode):
    page = EpisodePage.objects.get(pk=episode.pk)
    return [(c.start_ms, c.title) for c in page.get_latest_revision_as_object().chapters.all()]


@pytest.mark.django_db
def test_the_edit_page_links_to_the_suggestions_once_the_transcript_is_done(
    admin_client, episode, transcript
):
    edit = reverse("wagtailadmin_pages:edit", args=[episode.pk])
    assert f'href="{url(episode)}"' in admin_client.get(edit).content.decode()

    Transcript.objects.filter(pk=transcript.pk).update(status="running")
    assert url(episode) not in admin_client.get(edit).content.decode()


@pytest.mark.django_db
def test_the_suggestions_are_listed_as_a_form(admin_client, episode, transcript, suggestions):
    response = admin_client.get(url(episode))

    html = response.content.decode()
    assert response.status_code == 200
    assert len(suggestions) == 3
    assert html.count("<fieldset") == 3
    for i, suggestion in enumerate(suggestions):
        seconds = suggestion.start_ms // 1000
        assert f'<legend class="w-h3">Chapter at 0:{seconds // 60:02d}:{seconds % 60:02d}</legend>' in html
        assert f'name="form-{i}-title" value="{suggestion.title}"' in html
        assert f'name="form-{i}-start_ms" value="{suggestion.start_ms}"' in html
        assert f'<label class="w-field__label" for="id_form-{i}-add" id="id_form-{i}-add-label">' in html
        opening = transcript.segments.get(start_ms=suggestion.start_ms).text
        assert f"Begins: “{opening}”" in html.replace("&#x27;", "'")
        assert f"Words particular to this part: {', '.join(suggestion.keywords)}" in html
    assert 'type="checkbox"' in html and "checked" not in html  # nothing is accepted unless ticked


@pytest.mark.django_db
def test_the_ticked_chapters_go_into_a_new_draft_and_the_live_page_is_unchanged(
    admin_client, admin_user, episode, suggestions
):
    revisions_before = episode.revisions.count()
    rows = [(s.start_ms, s.title) for s in suggestions]

    response = admin_client.post(url(episode), form_data(rows, {1: "Medication safety", 2: rows[2][1]}))

    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_pages:edit", args=[episode.pk])
    assert messages_of(response) == ["2 chapters added to a new draft; review and publish."]
    assert draft_chapters(episode) == [(rows[1][0], "Medication safety"), rows[2]]
    page = EpisodePage.objects.get(pk=episode.pk)
    assert page.revisions.count() == revisions_before + 1
    assert page.get_latest_revision().user == admin_user
    assert page.live and page.has_unpublished_changes
    assert not Chapter.objects.filter(page=page).exists()  # the live page has no chapters yet


@pytest.mark.django_db
def test_a_chapter_is_not_added_again_where_the_draft_already_has_one(admin_client, episode, suggestions):
    draft = episode.get_latest_revision_as_object()
    draft.chapters = [Chapter(start_ms=suggestions[1].start_ms, title="Keeping medicines safe")]
    draft.save_revision()
    rows = [(s.start_ms, s.title) for s in suggestions]

    listing = admin_client.get(url(episode)).content.decode()
    response = admin_client.post(
        url(episode),
        form_data(
            [rows[0], rows[1], rows[2], rows[2]],
            {0: "Introduction", 1: "Again", 2: rows[2][1], 3: rows[2][1]},
        ),
    )

    assert listing.count("<fieldset") == 2 and "“Keeping medicines safe”" in listing
    assert messages_of(response)[0].startswith(
        "2 chapters added to a new draft; review and publish. Not added"
    )
    assert draft_chapters(episode) == [
        (0, "Introduction"),
        (rows[1][0], "Keeping medicines safe"),
        (rows[2][0], rows[2][1]),
    ]


@pytest.mark.django_db
def test_a_ticked_chapter_needs_a_title_and_a_start_within_the_audio(admin_client, episode, suggestions):
    rows = [(s.start_ms, s.title) for s in suggestions]
    revisions_before = episode.revisions.count()

    untitled = admin_client.post(url(episode), form_data(rows, {1: ""}))
    too_late = admin_client.post(
        url(episode), form_data([(episode.audio.duration_ms + 1, "Outro")], {0: "Outro"})
    )
    huge = admin_client.post(url(episode), form_data([("9" * 30, "Outro")], {0: "Outro"}))
    tampered = admin_client.post(url(episode), {"form-0-add": "on"})
    nothing = admin_client.post(url(episode), form_data(rows, {}))

    assert "Give the chapter a title, or leave it unticked." in untitled.content.decode()
    assert "Start: This is after the end of the audio (9:20.160)." in too_late.content.decode()
    assert "Start: This is after the end of the audio (9:20.160)." in huge.content.decode()
    assert "ManagementForm data is missing or has been tampered with" in tampered.content.decode()
    assert "Tick the chapters you want to add." in messages_of(nothing)
    assert {r.status_code for r in (untitled, too_late, huge, tampered, nothing)} == {200}
    assert EpisodePage.objects.get(pk=episode.pk).revisions.count() == revisions_before


@pytest.fixture
def editors(episode, django_user_model):
    """A user who may use the admin but edit nothing, and one who may edit the show's episodes."""
    access = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    onlookers, editors = Group.objects.create(name="Onlookers"), Group.objects.create(name="Show editors")
    onlookers.permissions.add(access)
    editors.permissions.add(access)
    GroupPagePermission.objects.create(group=editors, page=episode.get_parent(), permission_type="change")
    onlooker = django_user_model.objects.create_user("onlooker", password="x")
    onlooker.groups.add(onlookers)
    editor = django_user_model.objects.create_user("editor", password="x")
    editor.groups.add(editors)
    return onlooker, editor


@pytest.mark.django_db
def test_only_users_who_may_edit_the_episode_may_add_chapters(client, episode, suggestions, editors):
    onlooker, editor = editors
    data = form_data([(s.start_ms, s.title) for s in suggestions], {1: "Medication"})

    client.force_login(onlooker)
    # Wagtail answers a PermissionDenied in the admin by going home with its message (403 to scripts).
    for shown, send in enumerate((client.get, client.post), start=1):
        response = send(url(episode), data)
        assert (response.status_code, response.url) == (302, reverse("wagtailadmin_home"))
        # Messages wait in the cookie until a page shows them: one more each time.
        assert messages_of(response) == ["Sorry, you do not have permission to access this area."] * shown
    assert client.post(url(episode), data, headers={"x-requested-with": "XMLHttpRequest"}).status_code == 403
    assert draft_chapters(episode) == []

    client.force_login(editor)
    assert client.get(url(episode)).status_code == 200
    assert client.post(url(episode), data).status_code == 302
    assert draft_chapters(episode) == [(suggestions[1].start_ms, "Medication")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": "queued"}, "Chapters can be suggested once the transcript is done (it is queued)"),
        ({"status": "failed"}, "Chapters can be suggested once the transcript is done (it is failed)"),
        ({"audio_sha256": "0" * 64}, "The transcript is of an earlier version of the audio file"),
        (None, "Chapters can be suggested once the transcript is done (it is not started)"),
    ],
    ids=["queued", "failed", "stale", "none"],
)
def test_without_a_finished_transcript_the_editor_is_sent_back_with_the_reason(
    admin_client, episode, transcript, change, message
):
    if change is None:
        transcript.delete()
    else:
        Transcript.objects.filter(pk=transcript.pk).update(**change)

    for shown, send in enumerate((admin_client.get, admin_client.post), start=1):
        response = send(url(episode), {})
        assert response.status_code == 302
        assert response.url == reverse("wagtailadmin_pages:edit", args=[episode.pk])
        # Messages wait in the cookie until a page shows them: one more each time.
        assert [m[: len(message)] for m in messages_of(response)] == [message] * shown
    assert draft_chapters(episode) == []


@pytest.mark.django_db
def test_an_episode_without_audio_is_sent_back_with_the_reason(admin_client, home_page):
    episode = EpisodePageFactory(parent=ShowPageFactory(parent=home_page))

    response = admin_client.get(url(episode))

    assert response.status_code == 302
    assert messages_of(response) == [
        "Chapters are suggested from the transcript: choose the episode's audio and save first."
    ]


@pytest.mark.django_db
def test_a_page_locked_by_someone_else_gets_no_chapters(
    admin_client, episode, suggestions, django_user_model
):
    other = django_user_model.objects.create_superuser("other", password="x")
    EpisodePage.objects.filter(pk=episode.pk).update(locked=True, locked_by=other)

    response = admin_client.post(
        url(episode), form_data([(s.start_ms, s.title) for s in suggestions], {1: "M"})
    )

    assert response.status_code == 302
    assert messages_of(response)[0].startswith("Chapters cannot be added now:")
    assert draft_chapters(episode) == []


@pytest.mark.django_db
def test_a_page_that_is_not_an_episode_is_not_found(admin_client, home_page):
    assert admin_client.get(reverse(URL_NAME, args=[home_page.pk])).status_code == 404
