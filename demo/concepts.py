"""The demo glossary: concepts of coproduction in health care, defined in our own words.

``spectrum`` places each idea between care the professional leads (0: emergency, surgery, critical care)
and care the person leads (100: self-care, daily living). ``related`` names other concepts by slug.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoConcept:
    slug: str
    title: str
    aliases: tuple[str, ...]
    definition: str
    body: str  # rich text (HTML)
    spectrum: int | None
    related: tuple[str, ...] = ()
    references: tuple[str, ...] = ()


CONCEPT_INDEX = {
    "slug": "concepts",
    "title": "Concepts",
    "intro": (
        "<p>The ideas our guests keep coming back to, each with a short definition and every moment in the "
        "catalogue where it is discussed. For teaching, follow a concept to the conversations, or start from "
        "the spectrum of who leads care.</p>"
    ),
}

CONCEPTS = (
    DemoConcept(
        slug="coproduction",
        title="Coproduction",
        aliases=("co-production", "coproduce", "coproduced care"),
        definition=(
            "Patients, families and professionals designing and delivering care together, each bringing "
            "knowledge the others lack."
        ),
        body=(
            "<p>Coproduction treats a consultation, a ward round or a service redesign as joint work. The "
            "clinician knows the evidence and the options; the person knows their body, their days and what "
            "they are willing to trade. Neither kind of knowledge is enough alone.</p>"
            "<p>It is not the same as asking for feedback afterwards: in coproduction people shape the "
            "decision or the service while it is being made.</p>"
        ),
        spectrum=55,
        related=("shared-decision-making", "mutual-respect", "patient-activation"),
        references=(
            "Batalden M, Batalden P, Margolis P, et al. Coproduction of healthcare service. BMJ Quality & "
            "Safety, 2016.",
        ),
    ),
    DemoConcept(
        slug="shared-decision-making",
        title="Shared decision-making",
        aliases=("shared decision making", "SDM", "deciding together"),
        definition=(
            "Choosing a test or treatment together, with the options, their risks and benefits, and what "
            "matters to the person laid out side by side."
        ),
        body=(
            "<p>Shared decision-making has three moves: saying that there is a choice, explaining the "
            "options honestly, including doing nothing, and helping the person weigh them against their own "
            "priorities. Decision aids, plain numbers and time to think all help.</p>"
        ),
        spectrum=45,
        related=("health-literacy", "teach-back"),
        references=(
            "Coulter A, Collins A. Making shared decision-making a reality: no decision about me, without "
            "me. The King's Fund, 2011.",
        ),
    ),
    DemoConcept(
        slug="patient-activation",
        title="Patient activation",
        aliases=("activated patient", "activation"),
        definition=(
            "The knowledge, skills and confidence a person has to take part in their own health and care."
        ),
        body=(
            "<p>People with higher activation tend to ask questions, follow up results and manage long-term "
            "conditions with fewer crises. Activation is not a fixed trait: good coaching and small "
            "successes raise it.</p>"
        ),
        spectrum=75,
        related=("self-management", "health-literacy"),
        references=(
            "Hibbard JH, Stockard J, Mahoney ER, Tusler M. Development of the Patient Activation Measure "
            "(PAM). Health Services Research, 2004.",
        ),
    ),
    DemoConcept(
        slug="self-management",
        title="Self-management",
        aliases=("self management", "self-care", "self care", "managing at home"),
        definition=(
            "What people do day to day to live well with a condition: medicines, symptoms, routines and "
            "knowing when to ask for help."
        ),
        body=(
            "<p>Most of the work of a long-term condition happens at home, between appointments. Support "
            "for self-management gives people the information, equipment and plan to do that work, and a "
            "clear route back when things change.</p>"
        ),
        spectrum=92,
        related=("patient-activation",),
    ),
    DemoConcept(
        slug="health-literacy",
        title="Health literacy",
        aliases=("health-literate",),
        definition=(
            "Being able to find, understand and use health information, and a service's duty to make that "
            "easy."
        ),
        body=(
            "<p>Health literacy belongs to both sides. A leaflet full of jargon, a phone menu with nine "
            "options or a consent form in small print lowers it as surely as a person's reading level does."
            "</p>"
        ),
        spectrum=60,
        related=("teach-back", "shared-decision-making"),
    ),
    DemoConcept(
        slug="teach-back",
        title="Teach-back",
        aliases=("teach back", "teachback"),
        definition=(
            "Asking a person to explain the plan in their own words, to check that it was explained well."
        ),
        body=(
            "<p>Teach-back tests the explanation, not the patient. A simple 'so that I know I explained it "
            "clearly, can you tell me how you will take this?' finds gaps before they become mistakes.</p>"
        ),
        spectrum=40,
        related=("health-literacy",),
    ),
    DemoConcept(
        slug="safety-culture",
        title="Safety culture",
        aliases=("speak up", "patient safety"),
        definition=(
            "A way of working where anyone, patients and families included, can raise a concern and be "
            "taken seriously."
        ),
        body=(
            "<p>In a strong safety culture a nurse can question a surgeon, and a daughter can say that her "
            "mother is not herself, and both are treated as information rather than interruption.</p>"
        ),
        spectrum=20,
        related=("mutual-respect", "coproduction"),
    ),
    DemoConcept(
        slug="mutual-respect",
        title="Mutual respect",
        aliases=("respect",),
        definition=(
            "Treating each other's time, knowledge and judgement as equally worth having in the room."
        ),
        body=(
            "<p>Mutual respect shows in small things: starting on time, using the person's own words, "
            "explaining a delay, and taking a family's observation as seriously as a monitor's.</p>"
        ),
        spectrum=50,
        related=("coproduction",),
    ),
    DemoConcept(
        slug="person-centred-care",
        title="Person-centred care",
        aliases=("person centred care", "patient-centred care", "person-centered care"),
        definition=(
            "Care organised around what matters to the person, not only what is the matter with them."
        ),
        body=(
            "<p>Person-centred care starts by asking about goals and daily life, then fits the treatment to "
            "them. Coproduction goes one step further: the person helps design the care itself.</p>"
        ),
        spectrum=65,
        related=("coproduction", "shared-decision-making"),
    ),
)
