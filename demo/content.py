"""The demo site's words: one show, its people, three short episodes, an interview and a feedback form.

Everyone here is fictional. The episode scripts are spoken by espeak-ng into ``audio/<slug>.mp3``
(``manage.py load_demo --make-audio-only``); when a script changes, regenerate the audio and check the
chapter times against the line starts that command prints.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime


@dataclass(frozen=True)
class DemoPerson:
    name: str
    role_description: str
    bio: str
    voice: str  # an espeak-ng voice with a variant, so that each speaker sounds different


@dataclass(frozen=True)
class ScriptLine:
    speaker: str  # a key of PEOPLE
    text: str


@dataclass(frozen=True)
class ChapterMark:
    start: str  # "m:ss", within the audio's duration
    title: str
    url: str = ""


@dataclass(frozen=True)
class Link:
    title: str
    url: str
    description: str = ""


@dataclass(frozen=True)
class DemoEpisode:
    slug: str
    title: str
    number: int
    published: datetime
    summary: str
    show_notes: str  # rich text (HTML)
    people: tuple[tuple[str, str], ...]  # (person key, role)
    script: tuple[ScriptLine, ...]
    chapters: tuple[ChapterMark, ...]
    links: tuple[Link, ...] = ()
    related_pages: tuple[str, ...] = ()  # slugs of demo pages created before this one
    season: int = 1

    @property
    def audio_name(self) -> str:
        return f"{self.slug}.mp3"


@dataclass(frozen=True)
class DemoInterview:
    slug: str
    title: str
    date: date
    intro: str
    people: tuple[tuple[str, str], ...]
    body: tuple[tuple[str, dict], ...]  # StreamField blocks; "speaker" values are keys of PEOPLE
    related_pages: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class FormFieldText:
    label: str
    field_type: str  # a FeedbackFormField.field_type
    required: bool = True
    choices: str = ""  # one per line
    help_text: str = ""


@dataclass(frozen=True)
class DemoForm:
    slug: str
    title: str
    intro: str
    thank_you_text: str
    fields: tuple[FormFieldText, ...] = field(default_factory=tuple)


SITE_NAME = "The Power of Coproduction"
HOME_TITLE = "Making health together"

HOME_INTRO = (
    "<p>Health care works best when it is made together. This is the home of "
    "<i>The Power of Coproduction</i>, a podcast in which patients, families and clinicians talk "
    "plainly about sharing the work: respecting each other's knowledge, weighing choices side by side, "
    "looking after yourself with the right support, and keeping one another safe.</p>"
)

PEOPLE: dict[str, DemoPerson] = {
    "amara": DemoPerson(
        name="Dr Amara Okafor",
        role_description="GP and shared decision-making researcher",
        bio=(
            "Amara is a family doctor in a busy city practice. One day a week she studies what changes "
            "in a consultation when the patient sets part of the agenda. She hosts the show because she "
            "believes clinicians learn most when they are not the first to speak."
        ),
        voice="en-gb+f3",
    ),
    "tomasz": DemoPerson(
        name="Tomasz Wren",
        role_description="Patient leader",
        bio=(
            "Tomasz has lived with type 1 diabetes since he was fourteen. He now helps a regional health "
            "board redesign its clinics with the people who use them, and co-hosts the show, where he "
            "asks the questions that patients are often too polite to ask."
        ),
        voice="en-gb+m3",
    ),
    "ruth": DemoPerson(
        name="Ruth Castellano",
        role_description="Ward nurse and patient-safety lead",
        bio=(
            "Ruth has nursed on acute medical wards for eighteen years and leads a programme that lets "
            "families raise a worry directly with the nurse in charge, day or night. Before she trained "
            "she looked after her father through a long illness; she says it taught her what waiting "
            "feels like from the other side of the curtain."
        ),
        voice="en-gb+f4",
    ),
}

SHOW = {
    "slug": "the-power-of-coproduction",
    "title": "The Power of Coproduction",
    "description": (
        "Short conversations between patients, families and clinicians about making health care "
        "together: respect that runs both ways, decisions taken side by side, the confidence to look "
        "after yourself, and safety as everybody's business. For anyone who gives or receives care, and "
        "for the people who teach them."
    ),
    "author": "Amara Okafor and Tomasz Wren",
    "owner_name": "The Power of Coproduction",
    "owner_email": "podcast@example.org",
    "copyright": "© 2025 The Power of Coproduction",
    "categories": ("Health & Fitness > Medicine", "Education"),
    "hosts": ("amara", "tomasz"),
}

NICE_SDM = Link(
    "Shared decision making (NICE guideline NG197)",
    "https://www.nice.org.uk/guidance/ng197",
    "The guideline for England on making decisions with patients.",
)
WHO_SAFETY = Link(
    "Patient safety (World Health Organization)",
    "https://www.who.int/health-topics/patient-safety",
)

EPISODES: tuple[DemoEpisode, ...] = (
    DemoEpisode(
        slug="respect-starts-before-hello",
        title="Respect Starts Before Hello",
        number=1,
        published=datetime(2025, 1, 13, 7, 0, tzinfo=UTC),
        summary=(
            "Amara and Tomasz open the series by asking what mutual respect looks like when an "
            "appointment lasts ten minutes."
        ),
        show_notes=(
            "<p>In the first episode, a doctor and a patient leader describe respect as something both "
            "sides of the desk practise, long before anyone sits down.</p>"
            "<ul><li>Why the notes a patient sends in deserve to be read</li>"
            "<li>Expertise by training and expertise by experience</li>"
            "<li>When an appointment stops feeling like a test</li></ul>"
        ),
        people=(("amara", "host"), ("tomasz", "co-host")),
        script=(
            ScriptLine(
                "amara", "Welcome to The Power of Coproduction, a show about making health care together."
            ),
            ScriptLine(
                "amara", "I'm Amara Okafor, a family doctor, and I'm here with Tomasz Wren, a patient leader."
            ),
            ScriptLine(
                "tomasz",
                "For me, respect starts before anyone says hello: it is whether my doctor has read what "
                "I sent in.",
            ),
            ScriptLine(
                "amara",
                "And it runs both ways, because I bring my training while you bring twenty years of living "
                "with your condition.",
            ),
            ScriptLine(
                "tomasz",
                "When both kinds of knowledge are in the room, the appointment stops being a test and "
                "becomes a conversation.",
            ),
        ),
        chapters=(
            ChapterMark("0:00", "Welcome"),
            ChapterMark("0:11", "Respect before hello"),
            ChapterMark("0:17", "Two kinds of expertise"),
        ),
        links=(NICE_SDM,),
    ),
    DemoEpisode(
        slug="deciding-together",
        title="Deciding Together",
        number=2,
        published=datetime(2025, 1, 27, 7, 0, tzinfo=UTC),
        summary=(
            "What shared decision-making looks like when it is done honestly: every option on the table, "
            "including doing nothing, and a plan that can be revisited."
        ),
        show_notes=(
            "<p>Tomasz describes being handed a choice that had already been made, and Amara sets out the "
            "steps she now follows instead.</p>"
            "<ol><li>Lay out the options, doing nothing among them</li>"
            "<li>Give benefits and harms in plain numbers</li>"
            "<li>Ask what matters most to the person</li>"
            "<li>Agree a plan and a date to look at it again</li></ol>"
        ),
        people=(("amara", "host"), ("tomasz", "co-host")),
        script=(
            ScriptLine(
                "tomasz",
                "Shared decision-making sounds obvious, yet patients are often offered a choice that has "
                "already been made for them.",
            ),
            ScriptLine(
                "amara",
                "The honest version sets out every option, including doing nothing, with the benefits and "
                "harms of each in plain numbers.",
            ),
            ScriptLine(
                "tomasz",
                "Then you ask what matters most to me, because the best option depends on my life and not "
                "only on my test results.",
            ),
            ScriptLine(
                "amara",
                "We finish by agreeing a plan and a date to review it, so that no decision becomes final "
                "by accident.",
            ),
        ),
        chapters=(
            ChapterMark("0:00", "A choice already made"),
            ChapterMark("0:07", "Every option, in plain numbers", url=NICE_SDM.url),
            ChapterMark("0:15", "What matters to you"),
        ),
        links=(NICE_SDM,),
        related_pages=("respect-starts-before-hello",),
    ),
    DemoEpisode(
        slug="confidence-at-home",
        title="Confidence at Home",
        number=3,
        published=datetime(2025, 2, 10, 7, 0, tzinfo=UTC),
        summary=(
            "Ward nurse Ruth Castellano joins the hosts to talk about patient activation, self-care after "
            "discharge and the teach-back habit that keeps people safe."
        ),
        show_notes=(
            "<p>Patient activation is the knowledge, skill and confidence a person has to manage their "
            "own health. Ruth explains why the day someone goes home is where it shows, and why "
            "<b>teach-back</b> tests the explanation rather than the patient.</p>"
        ),
        people=(("amara", "host"), ("tomasz", "co-host"), ("ruth", "guest")),
        script=(
            ScriptLine(
                "amara",
                "Patient activation is a clinician's phrase for something simple: how much knowledge, skill "
                "and confidence a person has to manage their own health.",
            ),
            ScriptLine(
                "ruth",
                "On the ward I see it on the day of discharge, when a family either knows which warning "
                "signs to watch for or quietly hopes for the best.",
            ),
            ScriptLine(
                "tomasz",
                "Self-care was never meant to mean being left alone with it; it works when I know who to "
                "call and feel allowed to call them.",
            ),
            ScriptLine(
                "ruth",
                "So we use teach-back: the patient explains the plan in their own words, and if they "
                "cannot, the fault lies in our explanation.",
            ),
        ),
        chapters=(
            ChapterMark("0:00", "What activation means"),
            ChapterMark("0:09", "Going home"),
            ChapterMark("0:25", "Teach-back", url=WHO_SAFETY.url),
        ),
        links=(WHO_SAFETY,),
        related_pages=("deciding-together",),
    ),
)

INTERVIEW_INDEX = {
    "slug": "interviews",
    "title": "Interviews",
    "intro": (
        "<p>Longer conversations, written down, for reading at your own pace or sharing with a class.</p>"
    ),
}

INTERVIEW = DemoInterview(
    slug="safety-is-a-conversation",
    title="Safety Is a Conversation",
    date=date(2025, 2, 17),
    intro=(
        "Tomasz Wren talks with ward nurse Ruth Castellano about inviting families to speak up, and what "
        "changes when the people closest to a patient are treated as part of the safety team."
    ),
    people=(("ruth", "guest"), ("tomasz", "interviewer")),
    body=(
        (
            "question",
            {
                "speaker": "tomasz",
                "text": "Why did your ward start asking families to raise concerns directly?",
            },
        ),
        (
            "answer",
            {
                "speaker": "ruth",
                "text": (
                    "<p>Because they were noticing things before we did. A daughter would tell us her mother "
                    "was not herself hours before the observations changed, and we used to write that down "
                    "as anxiety. Now we treat it as information, and every bedside has a number to call. "
                    "That is what a safety culture looks like from the bed.</p>"
                ),
            },
        ),
        ("question", {"speaker": "tomasz", "text": "Did staff worry that it would bring more complaints?"}),
        (
            "answer",
            {
                "speaker": "ruth",
                "text": (
                    "<p>Some did, at first. What we got instead was fewer surprises. When a family can speak "
                    "early and be taken seriously, they rarely need to write a formal letter later.</p>"
                ),
            },
        ),
        (
            "pull_quote",
            {
                "quote": (
                    "When a family says someone is not themselves, that is an observation, not a feeling."
                ),
                "attribution": "Ruth Castellano",
            },
        ),
        (
            "question",
            {
                "speaker": "tomasz",
                "text": "What would you say to a patient who does not want to make a fuss?",
            },
        ),
        (
            "answer",
            {
                "speaker": "ruth",
                "text": (
                    "<p>That a question is not a fuss. Ask what a medicine is for, ask what happens if "
                    "things get worse, and ask who to tell. <b>Safety is a conversation</b>, and you "
                    "belong in it.</p>"
                ),
            },
        ),
    ),
    related_pages=("confidence-at-home",),
    links=(WHO_SAFETY,),
)

FEEDBACK_FORM = DemoForm(
    slug="feedback",
    title="We want to hear from you",
    intro=(
        "<p>Tell us what you think of the show, suggest a topic, or share how working together with your "
        "care team has gone for you, good or bad. We read every message and never publish them.</p>"
    ),
    thank_you_text="<p>Thank you. Your message has reached the team.</p>",
    fields=(
        FormFieldText("Your name", "singleline", required=False),
        FormFieldText("Email", "email", required=False, help_text="Only if you would like a reply."),
        FormFieldText(
            "I am",
            "dropdown",
            required=False,
            choices="A patient\nA carer or family member\nA clinician\nAn educator\nOther",
        ),
        FormFieldText("Message", "multiline"),
    ),
)
