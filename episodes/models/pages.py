"""What the page modules share: people's roles on a page, language codes, lists of email addresses,
listings' pagination, and ``new_guid`` (migration 0001 names it here)."""

import re
import uuid

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import RegexValidator, validate_email
from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.models import Orderable

from ..people_roles import PERSON_ROLES

language_validator = RegexValidator(
    r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$", "Use a language code such as 'en' or 'en-GB'."
)


def split_addresses(text: str) -> list[str]:
    """Email addresses written one per line or separated by commas or semicolons, without repeats (case
    aside), in order."""
    seen, addresses = set(), []
    for address in re.split(r"[\s,;]+", text or ""):
        if address and address.lower() not in seen:
            seen.add(address.lower())
            addresses.append(address)
    return addresses


def validate_addresses(text: str) -> None:
    """Every address of a list (``split_addresses``) is an email address; the error names those that are
    not."""
    bad = []
    for address in split_addresses(text):
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        raise ValidationError(
            "Not an email address: %(bad)s. Write one address per line, or separate them with commas.",
            params={"bad": ", ".join(bad)},
            code="invalid",
        )


def new_guid() -> str:
    return str(uuid.uuid4())


def paginate(items, request, per_page: int):
    """One page of ``items`` for ``?page=``; a page number that is not a number gives the first page, one
    out of range the last (never an error). The page carries ``links``: the numbers to link to, with
    ``Paginator.ELLIPSIS`` for gaps."""
    page = Paginator(items, per_page).get_page(request.GET.get("page"))
    page.links = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


class PagePerson(Orderable):
    """Someone credited on a page, with their role: the same on episodes and interviews."""

    person = models.ForeignKey("episodes.Person", on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=20, choices=PERSON_ROLES, default="guest")

    panels = [FieldPanel("person"), FieldPanel("role")]

    class Meta(Orderable.Meta):
        abstract = True
