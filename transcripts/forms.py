"""Forms of the transcript review in the admin: the segment editor, naming speakers, importing captions."""

from __future__ import annotations

import hashlib
import json

from django import forms
from django.core.exceptions import ValidationError
from wagtail.admin.widgets import AdminAutoHeightTextInput

from episodes.fields import TimestampFormField
from episodes.timecodes import format_timecode

from .editing import MAX_IMPORT_BYTES, latest_end_ms, read_captions
from .words import review_words, uncertain_below


class TimeField(TimestampFormField):
    """A time within the audio, typed in any form ``parse_timecode`` reads (``1:02.5``, ``62.5``,
    ``0:01:02.500``) and shown as ``h:mm:ss.mmm``, so that the column lines up; cleaned to integer
    milliseconds."""

    precision = "milliseconds"
    hours = True

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "")
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "size": 12}))
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "off", "spellcheck": "false", "maxlength": 20})


def _time(ms: int) -> str:
    return format_timecode(ms, precision=TimeField.precision, hours=TimeField.hours)


class SegmentForm(forms.Form):
    """One segment in the segment editor. Labels name the segment, for screen readers; the table's
    headings show the column names."""

    id = forms.IntegerField(widget=forms.HiddenInput)
    start = TimeField(label="Start")
    end = TimeField(label="End")
    speaker = forms.CharField(label="Speaker", max_length=100, required=False)
    text = forms.CharField(
        label="Text",
        widget=AdminAutoHeightTextInput(attrs={"rows": 1}),
        error_messages={"required": "A segment needs text. To remove the segment, tick Delete."},
    )

    def __init__(self, *args, latest_end_ms: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.latest_end_ms = latest_end_ms
        self.fields["speaker"].widget.attrs["list"] = "speaker-names"

    def label(self, number: int) -> None:
        for name, field in self.fields.items():
            field.label = f"{name.capitalize()} of segment {number}"

    def clean_speaker(self):
        return " ".join(self.cleaned_data["speaker"].split())

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        limit = self.latest_end_ms
        if start is not None and start > limit:
            self.add_error("start", f"Starts after the end of the audio ({_time(limit)}).")
        if end is not None and end > limit:
            self.add_error("end", f"Ends after the end of the audio ({_time(limit)}).")
        elif start is not None and end is not None and end < start:
            self.add_error("end", f"Ends before it starts ({_time(start)}).")
        return cleaned

    def values(self) -> dict:
        """The segment's new values, as ``editing.correct_segments`` takes them."""
        data = self.cleaned_data
        return {
            "start_ms": data["start"],
            "end_ms": data["end"],
            "speaker": data["speaker"],
            "text": data["text"],
        }


class BaseSegmentFormSet(forms.BaseFormSet):
    def __init__(self, *args, audio, first_number: int = 1, **kwargs):
        super().__init__(*args, form_kwargs={"latest_end_ms": latest_end_ms(audio)}, **kwargs)
        for offset, form in enumerate(self.forms):
            form.label(first_number + offset)
            form.fields["DELETE"].label = f"Delete segment {first_number + offset}"

    def mark_uncertain(self, segments) -> int:
        """Give each form its segment's words (``form.review_words``), those the engine was unsure of marked,
        and point the text's description at them when there are any. ``segments`` are the forms' segments,
        in order. Returns how many uncertain words there are."""
        threshold, count = uncertain_below(), 0
        for form, segment in zip(self.forms, segments, strict=False):
            form.review_words = review_words(segment.text, segment.words, threshold)
            form.uncertain_count = sum(word.uncertain for word in form.review_words)
            if form.uncertain_count:
                form.fields["text"].widget.attrs["aria-describedby"] = f"{form.prefix}-words"
            count += form.uncertain_count
        return count

    def changes(self) -> tuple[dict[int, dict], set[int]]:
        """(values by segment id, ids to delete) from a valid formset."""
        changes, deletions = {}, set()
        for form in self.forms:
            if self._should_delete_form(form):
                deletions.add(form.cleaned_data["id"])
            else:  # correct_segments writes only those that differ from the database
                changes[form.cleaned_data["id"]] = form.values()
        return changes, deletions


SegmentFormSet = forms.formset_factory(
    SegmentForm, formset=BaseSegmentFormSet, extra=0, can_delete=True, max_num=1000, validate_max=True
)


def initial_for(segments) -> list[dict]:
    return [
        {"id": s.pk, "start": s.start_ms, "end": s.end_ms, "speaker": s.speaker, "text": s.text}
        for s in segments
    ]


def page_token(segments) -> str:
    """A fingerprint of the segments an editor was shown, to tell on saving whether they changed since."""
    rows = [[s.pk, s.start_ms, s.end_ms, s.speaker, s.text] for s in segments]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


class SpeakerNamesForm(forms.Form):
    """Name each speaker once: a row per label the transcript has, to keep it, give it one of the episode's
    people (a select) or type a name. ``labels`` says which labels the editor was shown, so that a re-run
    finishing meanwhile is noticed instead of naming the wrong voice."""

    labels = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, speakers: list[tuple[str, int]], people: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.speakers = [label for label, _count in speakers]
        self.fields["labels"].initial = json.dumps(self.speakers)
        self.rows = []
        for i, (label, count) in enumerate(speakers):
            keep = [("", f"Keep “{label}”")]
            self.fields[f"person_{i}"] = forms.ChoiceField(
                label=f"Who is {label}?",
                required=False,
                choices=keep + [(name, name) for name in people if name != label],
            )
            self.fields[f"name_{i}"] = forms.CharField(
                label=f"Or type a name for {label}",
                required=False,
                max_length=100,
                widget=forms.TextInput(attrs={"list": "speaker-names", "autocomplete": "off"}),
            )
            self.rows.append(
                {"label": label, "count": count, "person": self[f"person_{i}"], "name": self[f"name_{i}"]}
            )

    def clean_labels(self):
        try:
            shown = json.loads(self.cleaned_data["labels"])
        except ValueError:
            shown = None
        if shown != self.speakers:
            raise ValidationError(
                "The speakers changed since you opened this page (a re-run or another editor): nothing was "
                "renamed. Check the names below and save again."
            )
        return shown

    def names(self) -> dict[str, str]:
        """``{label: new name}`` for the rows given a name (a typed name wins over the select)."""
        names = {}
        for i, label in enumerate(self.speakers):
            name = " ".join(self.cleaned_data.get(f"name_{i}", "").split()) or self.cleaned_data.get(
                f"person_{i}"
            )
            if name and name != label:
                names[label] = name
        return names


class ImportCaptionsForm(forms.Form):
    file = forms.FileField(
        label="Caption file",
        help_text=(
            f"A WebVTT (.vtt) or SRT (.srt) file in UTF-8, at most {MAX_IMPORT_BYTES // 1024 // 1024} MB, "
            "timed to this audio."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".vtt,.srt,text/vtt,application/x-subrip"}),
    )
    language = forms.CharField(
        label="Language",
        max_length=35,
        required=False,
        help_text="The transcript's language as a code, e.g. en or en-GB.",
    )

    def __init__(self, *args, audio, **kwargs):
        super().__init__(*args, **kwargs)
        self.audio = audio

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # The size is known before the file is read: refuse a big one without reading it into memory.
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(
                f"The file is larger than {MAX_IMPORT_BYTES // 1024 // 1024} MB: too big for captions."
            )
        try:
            self.captions = read_captions(upload.name, upload.read(), self.audio.duration_ms)
        except ValueError as error:
            raise ValidationError(str(error)) from error
        return upload
