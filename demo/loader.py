"""Loading the demo content into the default site.

Safe to run again and again (``make setup`` does): every object is looked up by a natural key first (pages
by slug under their parent, people by name, audio by its SHA-256) and, when found, left exactly as it is.
So a second run creates nothing and changes nothing, and an editor's changes to demo pages survive.
Artwork (drawn by ``artwork.py``, found again by its title) is the one thing added to demo pages that exist
already: a show or episode without any, and without unpublished changes, gets its own and is republished,
so that a demo site loaded before there was artwork passes the directory checks too.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable

from django.apps import apps
from django.core.files.images import ImageFile
from django.db import transaction
from django.utils.text import slugify
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from concepts.models import ConceptIndexPage, ConceptPage, RelatedConcept
from episodes.models import (
    AudioFile,
    Chapter,
    EpisodePage,
    EpisodePerson,
    InterviewIndexPage,
    InterviewPage,
    InterviewPerson,
    Person,
    ShowCategory,
    ShowHost,
    ShowPage,
)
from episodes.publishing import add_page, discard_stored_file
from episodes.timecodes import parse_timecode
from episodes.uploads import create_audio_file

from . import concepts, content
from .artwork import cover_art
from .synthesis import AUDIO_DIR, chapter_problems

Log = Callable[[str], None]


class DemoError(RuntimeError):
    """The demo content cannot be loaded; the message says what to do."""


def website_model(name: str):
    """One of the site's own page models (the home page, the feedback form), by name: no app imports the
    project package ``website``, this one included, so its models are looked up as migrations do."""
    return apps.get_model("website", name)


def load_demo(*, user=None, log: Log = lambda message: None) -> Page:
    """Create whatever part of the demo content is missing, in one transaction; return the home page."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    home = site.root_page.specific if site else None
    if not isinstance(home, website_model("HomePage")):
        raise DemoError(
            "The default site's root page is not a HomePage; the demo content goes under the HomePage "
            "that website's migration creates (run `manage.py migrate` on an empty database)."
        )
    loader = _Loader(home, user, log)
    try:
        with transaction.atomic():
            people = {key: loader.person(text) for key, text in content.PEOPLE.items()}
            show = loader.show(people)
            for episode in content.EPISODES:
                loader.episode(show, episode, people)
            loader.interview(loader.interview_index(), show, people)
            loader.concepts(loader.concept_index())
            loader.feedback_form()
            loader.home_page(show)
            loader.site(site)
    except BaseException:
        for audio in loader.stored_audio:
            discard_stored_file(audio)
        for image in loader.stored_images:
            image.file.delete(save=False)
        raise
    return home


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(64 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _Loader:
    def __init__(self, home: Page, user, log: Log):
        self.home = home
        self.user = user
        self.log = log
        self.stored_audio: list[AudioFile] = []  # to delete from storage if the transaction fails
        self.stored_images: list = []

    def page(self, parent: Page, slug: str, build: Callable[[], Page]) -> Page:
        existing = parent.get_children().filter(slug=slug).first()
        if existing is not None:
            self.log(f"Page exists, left as it is: {existing.title} ({existing.url_path})")
            return existing.specific
        page = add_page(parent, build(), user=self.user, publish=True)
        self.log(f"Created and published page: {page.title} ({page.url_path})")
        return page

    def person(self, text: content.DemoPerson) -> Person:
        person = Person.objects.filter(name=text.name).order_by("pk").first()
        if person is not None:
            self.log(f"Person exists: {person.name}")
            return person
        person = Person.objects.create(name=text.name, role_description=text.role_description, bio=text.bio)
        self.log(f"Created person: {person.name}")
        return person

    def audio(self, episode: content.DemoEpisode) -> AudioFile:
        path = AUDIO_DIR / episode.audio_name
        if not path.is_file():
            raise DemoError(f"{path} is missing: run `make demo-audio` to speak the demo scripts.")
        audio = AudioFile.objects.filter(sha256=file_sha256(path)).order_by("pk").first()
        if audio is not None:
            self.log(f"Audio exists, reused: {audio.title}")
        else:
            audio = create_audio_file(path, title=episode.title, user=self.user)
            self.stored_audio.append(audio)
            self.log(
                f"Stored audio: {audio.title} ({audio.duration_ms / 1000:.1f} s, {audio.size // 1024} KB)"
            )
        problems = chapter_problems(episode, audio.duration_ms)
        if problems:
            raise DemoError("; ".join(problems) + ". Fix demo/content.py or run `make demo-audio`.")
        return audio

    def artwork(self, title: str, alt: str, draw: Callable[[], bytes]):
        """The Wagtail image called ``title``, drawn and stored if there is none yet."""
        image_model = get_image_model()
        image = image_model.objects.filter(title=title).order_by("pk").first()
        if image is not None:
            return image
        name = f"demo-{slugify(title)}.png"
        image = image_model(title=title, description=alt, file=ImageFile(io.BytesIO(draw()), name=name))
        image.save()
        self.stored_images.append(image)
        self.log(f"Drew artwork: {title} ({image.width}×{image.height})")
        return image

    def show_artwork(self):
        title = content.SHOW["title"]
        return self.artwork(
            f"{title}: artwork",
            f"Two overlapping circles above the words {title}",
            lambda: cover_art(title),
        )

    def episode_artwork(self, text: content.DemoEpisode):
        show = content.SHOW["title"]
        label = f"{show} · Episode {text.number}"
        return self.artwork(
            f"{text.title}: artwork",
            f"Two overlapping circles above the words {label}: {text.title}",
            lambda: cover_art(text.title, label=label, number=text.number),
        )

    def fill_artwork(self, page: Page, make_artwork: Callable[[], object]) -> None:
        """Give an existing demo page artwork if it has none, unless an editor has a draft in progress."""
        if page.artwork_id is not None:
            return
        if page.has_unpublished_changes:
            self.log(f"No artwork on {page.title}, left as it is: it has unpublished changes")
            return
        page.artwork = make_artwork()
        page.save_revision(user=self.user, log_action=True).publish(user=self.user)
        self.log(f"Published {page.title} with its artwork")

    def show(self, people: dict[str, Person]) -> ShowPage:
        text = content.SHOW

        def build():
            show = ShowPage(
                title=text["title"],
                slug=text["slug"],
                description=text["description"],
                author=text["author"],
                owner_name=text["owner_name"],
                owner_email=text["owner_email"],
                copyright=text["copyright"],
                artwork=self.show_artwork(),
            )
            for category in text["categories"]:
                show.categories.add(ShowCategory(category=category))
            for key in text["hosts"]:
                show.hosts.add(ShowHost(person=people[key]))
            return show

        show = self.page(self.home, text["slug"], build)
        self.fill_artwork(show, self.show_artwork)
        return show

    def episode(self, show: ShowPage, text: content.DemoEpisode, people: dict[str, Person]) -> EpisodePage:
        def build():
            episode = EpisodePage(
                title=text.title,
                slug=text.slug,
                summary=text.summary,
                show_notes=text.show_notes,
                publication_date=text.published,
                season=text.season,
                episode_number=text.number,
                audio=self.audio(text),
                related=self.related(text.related_pages, text.links),
                artwork=self.episode_artwork(text),
            )
            for key, role in text.people:
                episode.people.add(EpisodePerson(person=people[key], role=role))
            for mark in text.chapters:
                episode.chapters.add(
                    Chapter(start_ms=parse_timecode(mark.start), title=mark.title, url=mark.url)
                )
            return episode

        episode = self.page(show, text.slug, build)
        self.fill_artwork(episode, lambda: self.episode_artwork(text))
        return episode

    def interview_index(self) -> InterviewIndexPage:
        text = content.INTERVIEW_INDEX
        return self.page(self.home, text["slug"], lambda: InterviewIndexPage(**text))

    def interview(
        self, index: InterviewIndexPage, show: ShowPage, people: dict[str, Person]
    ) -> InterviewPage:
        text = content.INTERVIEW

        def build():
            body = []
            for block_type, value in text.body:
                value = dict(value)
                if "speaker" in value:
                    value["speaker"] = people[value["speaker"]].pk
                body.append({"type": block_type, "value": value})
            interview = InterviewPage(
                title=text.title,
                slug=text.slug,
                date=text.date,
                intro=text.intro,
                show=show,
                body=body,
                related=self.related(text.related_pages, text.links),
            )
            for key, role in text.people:
                interview.people.add(InterviewPerson(person=people[key], role=role))
            return interview

        return self.page(index, text.slug, build)

    def related(self, slugs: tuple[str, ...], links: tuple[content.Link, ...]) -> list[dict]:
        """'Further reading' blocks: demo pages found by slug (anywhere under the site), then links."""
        blocks = []
        for slug in slugs:
            page = Page.objects.descendant_of(self.home).filter(slug=slug).first()
            if page is not None:
                blocks.append({"type": "page", "value": page.pk})
        for link in links:
            blocks.append(
                {
                    "type": "link",
                    "value": {"title": link.title, "url": link.url, "description": link.description},
                }
            )
        return blocks

    def concept_index(self) -> ConceptIndexPage:
        return self.page(
            self.home, concepts.CONCEPT_INDEX["slug"], lambda: ConceptIndexPage(**concepts.CONCEPT_INDEX)
        )

    def concepts(self, index: ConceptIndexPage) -> None:
        """The glossary's concepts; then, on those created now, their related concepts (which may be
        created later in the list), published as a second revision."""
        created: list[tuple[ConceptPage, concepts.DemoConcept]] = []
        for text in concepts.CONCEPTS:

            def build(text=text):
                page = ConceptPage(
                    title=text.title,
                    slug=text.slug,
                    other_names="\n".join(text.aliases),
                    definition=text.definition,
                    body=text.body,
                    spectrum=text.spectrum,
                    references=[{"type": "reference", "value": {"citation": c}} for c in text.references],
                )
                created.append((page, text))
                return page

            self.page(index, text.slug, build)
        by_slug = {page.slug: page for page in ConceptPage.objects.child_of(index)}
        for page, text in created:
            page.related_links = [
                RelatedConcept(concept=by_slug[slug]) for slug in text.related if slug in by_slug
            ]
            if page.related_links.exists():
                page.save_revision(user=self.user).publish(user=self.user)

    def feedback_form(self) -> Page:
        text = content.FEEDBACK_FORM

        def build():
            page = website_model("FeedbackFormPage")(
                title=text.title, slug=text.slug, intro=text.intro, thank_you_text=text.thank_you_text
            )
            for field in text.fields:
                page.form_fields.add(
                    website_model("FeedbackFormField")(
                        label=field.label,
                        field_type=field.field_type,
                        required=field.required,
                        choices=field.choices,
                        help_text=field.help_text,
                    )
                )
            return page

        return self.page(self.home, text.slug, build)

    def home_page(self, show: ShowPage) -> None:
        """Fill the home page's title (if still the migration's "Home"), intro and featured show if they
        are empty; publish that change."""
        filled = []
        if self.home.title == "Home":
            self.home.title = self.home.draft_title = content.HOME_TITLE
            filled.append("title")
        if not self.home.intro:
            self.home.intro = content.HOME_INTRO
            filled.append("intro")
        if self.home.featured_show_id is None:
            self.home.featured_show = show
            filled.append("featured show")
        if not filled:
            self.log("Home page already set up, left as it is")
            return
        self.home.save_revision(user=self.user, log_action=True).publish(user=self.user)
        self.log(f"Published the home page with its {' and '.join(filled)}")

    def site(self, site: Site) -> None:
        """Name the site, and point Wagtail's placeholder 'localhost:80' at the development server, so
        that full URLs (``add_episode`` prints one) are the ones a developer can open."""
        changed = []
        if not site.site_name:
            site.site_name = content.SITE_NAME
            changed.append("site_name")
        if (site.hostname, site.port) == ("localhost", 80):
            site.hostname, site.port = "127.0.0.1", dev_port()
            changed += ["hostname", "port"]
        if not changed:
            self.log(f"Site exists: {site.site_name} ({site.hostname}:{site.port})")
            return
        site.save(update_fields=changed)
        self.log(f"Set up the site: {site.site_name} ({site.hostname}:{site.port})")


def dev_port() -> int:
    return int(os.environ.get("PORT") or 8000)
