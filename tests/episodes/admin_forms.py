"""What the Wagtail admin's episode form posts, for tests that go through the admin's own views."""

from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield


def episode_form_data(*, show_notes: str = "", publish: bool = False, **fields) -> dict:
    """Form data for EpisodePage's add or edit view: every inline panel empty unless given."""
    data = {
        "summary": "A summary.",
        "show_notes": rich_text(show_notes),
        "publication_date": "2026-01-01 10:00",
        "episode_type": "full",
        "people": inline_formset([]),
        "chapters": inline_formset([]),
        "soundbites": inline_formset([]),
        "transcript_links": inline_formset([]),
        "related": streamfield([]),
        "comments": inline_formset([]),
        **fields,
    }
    if publish:
        data["action-publish"] = "action-publish"
    return nested_form_data(data)
