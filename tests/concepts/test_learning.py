"""Learning paths and the coproduction spectrum figure."""

import pytest
from django.core.exceptions import ValidationError
from wagtail.models import PageViewRestriction

from concepts.factories import ConceptPageFactory
from concepts.models import LearningPathPage, LearningPathStep
from concepts.spectrum import Point, layout
from episodes.factories import EpisodePageFactory

from .conftest import transcribe

pytestmark = pytest.mark.django_db


def add_path(concept_index, steps, **fields):
    path = LearningPathPage(title="Deciding together: a seminar", slug="seminar", **fields)
    concept_index.add_child(instance=path)
    for n, (target, start, end, note, questions) in enumerate(steps):
        LearningPathStep.objects.create(
            page=path, sort_order=n, target=target, start_ms=start, end_ms=end, note=note, questions=questions
        )
    return path


def test_a_learning_path_strings_moments_with_quotes_and_questions(client, concept_index, episode, audio):
    transcribe(audio)
    path = add_path(
        concept_index,
        [
            (
                episode,
                20_000,
                35_000,
                "Listen for how the options are laid out.",
                "What is the choice?\nWho spoke?",
            ),
            (episode, 10_000, None, "", ""),
        ],
        audience="nursing students",
        closing_questions="What would you do differently?",
    )

    html = client.get(path.url).content.decode()

    assert "For nursing students" in html
    first, second = html.index(f'href="{episode.url}?t=20"'), html.index(f'href="{episode.url}?t=10"')
    assert first < second  # the editor's order, not time order
    # The quote is what is said between start and end, from the transcript.
    assert "Shared decision making starts with the options. We are coproducing the plan" in html
    assert "<li>What is the choice?</li><li>Who spoke?</li>" in html
    assert "<li>What would you do differently?</li>" in html


def test_moments_on_drafts_or_private_pages_are_left_out(client, concept_index, show, episode, audio_dir):
    draft = EpisodePageFactory(parent=show, live=False, title="Unreleased")
    private = EpisodePageFactory(parent=show, title="Members")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    path = add_path(
        concept_index, [(draft, 0, None, "", ""), (private, 0, None, "", ""), (episode, 0, None, "", "")]
    )

    html = client.get(path.url).content.decode()
    assert "Unreleased" not in html and "Members" not in html
    assert episode.title in html


def test_a_step_is_checked(concept_index, episode, audio):
    path = add_path(concept_index, [])
    step = LearningPathStep(page=path, target=episode, start_ms=5000, end_ms=4000)
    with pytest.raises(ValidationError) as error:
        step.clean()
    assert "end after it starts" in str(error.value)
    step = LearningPathStep(page=path, target=concept_index, start_ms=0)
    with pytest.raises(ValidationError, match="episode or an interview"):
        step.clean()
    step = LearningPathStep(page=path, target=episode, start_ms=audio.duration_ms + 1000)
    with pytest.raises(ValidationError, match="only 0:03 long"):
        step.clean()


def test_the_spectrum_figure_links_every_placed_page_and_has_a_text_alternative(
    client, concept_index, coproduction, sdm, episode
):
    type(coproduction).objects.filter(pk=coproduction.pk).update(spectrum=55)
    type(sdm).objects.filter(pk=sdm.pk).update(spectrum=45)
    type(episode).objects.filter(pk=episode.pk).update(spectrum=10)
    ConceptPageFactory(parent=concept_index, title="Off the figure")

    html = client.get(concept_index.url).content.decode()

    figure = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="group"' in figure and 'aria-describedby="spectrum-desc"' in figure
    for page in (coproduction, sdm, episode):
        assert f'<a href="{page.url}"' in figure
    assert "Off the figure</text>" not in figure
    listed = html[html.index('<ol class="spectrum-list">') :]
    assert listed.index(episode.title) < listed.index("Shared decision-making") < listed.index("Coproduction")
    assert "10 of 100, the professional mostly leads" in listed


def test_labels_never_overlap_in_a_row():
    points = [Point(f"Concept number {n}", "/", n * 3 % 100, "concept") for n in range(30)]
    points += [Point("Episode", "/", 50, "episode")]
    figure = layout(points)

    spans = {}
    for point in figure.points:
        half = len(point.title) * 7.2 / 2
        start = {"middle": point.x - half, "start": point.x, "end": point.x - 2 * half}[point.anchor]
        spans.setdefault((point.kind, point.row), []).append((start, start + 2 * half))
        assert start >= 0 and start + 2 * half <= figure.width
        assert (point.y < figure.axis_y) == (point.kind == "concept")
    for row in spans.values():
        row.sort()
        assert all(a[1] <= b[0] for a, b in zip(row, row[1:], strict=False))
