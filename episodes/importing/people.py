"""The people a feed names (hosts, guests), found in the catalogue by name or added to it."""

from __future__ import annotations

from ..models import Person
from .data import PersonRef
from .fetch import Fetcher, FetchError, ImportProblem, import_image
from .links import valid_url


class People:
    """People by name (case-insensitive), found or created once per run.

    Someone already in the catalogue is used as they are: editors own their details. A new person gets
    the feed's link and photo. Photos are fetched by :meth:`prepare`, before the episode's transaction,
    so that no download holds the database; :meth:`get` then only writes rows.
    """

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        self.cache: dict[str, Person] = {}
        self.photos: dict[str, object | None] = {}

    def prepare(self, refs: list[PersonRef], notes: list[str]) -> None:
        for ref in refs:
            key = ref.name.casefold()
            if not ref.img or key in self.cache or key in self.photos:
                continue
            if Person.objects.filter(name__iexact=ref.name).exists():
                continue
            try:
                self.photos[key] = import_image(self.fetcher, ref.img, f"Photo: {ref.name}")
            except (FetchError, ImportProblem) as exc:
                self.photos[key] = None
                notes.append(f"photo of {ref.name} not imported: {exc}")

    def get(self, ref: PersonRef) -> Person:
        key = ref.name.casefold()
        if key not in self.cache:
            person = Person.objects.filter(name__iexact=ref.name).order_by("pk").first()
            if person is None:
                person = Person.objects.create(
                    name=ref.name, link=ref.href if valid_url(ref.href) else "", photo=self.photos.get(key)
                )
            self.cache[key] = person
        return self.cache[key]

    def forget(self) -> None:
        """After a rollback: people created in it are gone from the database, so from the cache too."""
        self.cache.clear()
