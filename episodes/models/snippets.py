from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.search import index


class Person(index.Indexed, models.Model):
    """Someone who appears in the catalogue: a host, a guest, a producer."""

    name = models.CharField(max_length=255)
    role_description = models.CharField(
        max_length=255,
        blank=True,
        help_text="How listeners should know them, e.g. 'Patient leader' or 'GP and researcher'.",
    )
    bio = models.TextField(blank=True)
    photo = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    link = models.URLField(blank=True, help_text="Their own web page or profile.")

    panels = [
        FieldPanel("name"),
        FieldPanel("role_description"),
        FieldPanel("bio"),
        FieldPanel("photo"),
        FieldPanel("link"),
    ]
    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.SearchField("role_description"),
        index.SearchField("bio"),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"

    def __str__(self):
        return self.name
