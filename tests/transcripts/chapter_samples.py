"""A talk written for the chapter tests: twenty sentences on each of three topics (shared decisions,
medication safety, self care), and the transcript rows they make."""

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


def segments(*topics, seconds=9):
    """One segment per sentence, ``seconds`` apart, each ending a little before the next starts."""
    rows, start = [], 0
    for topic in topics:
        for text in topic:
            rows.append({"start_ms": start, "end_ms": start + seconds * 1000 - 400, "text": text})
            start += seconds * 1000
    return rows
