"""Which language an episode is in, and when a transcript must wait for an editor because of it.

A multilingual model (``base``) detects the language of each episode, with the show's language as the hint
(``language_hint``; the engine's ``choose_language`` weighs them). An English-only model (``tiny.en``, the
default) cannot detect anything: given German it writes confident English nonsense, or little at all. Such a
transcript is stored but held for review (``Transcript.held``) when the show's language is not English, or
when the engine's own signals say it did not understand the speech (``hold_reason``). The thresholds were
measured with tiny.en (docs/transcripts.md, "Speech that is not English"):

=================================  ===============  =====================  =============
audio                              uncertain words  speech with words      fallback
=================================  ===============  =====================  =============
English, espeak-ng                 0.09             0.87                   0
English, real (meetings, stereo)   0.08 to 0.22     0.84 to 0.99           0
German / French, espeak-ng         0.37 to 1.00     0.07 to 0.93           0 to 1
multilingual.mp3 (30 s en, 30 de)  0.10             0.47                   0.08
=================================  ===============  =====================  =============
"""

from __future__ import annotations

from .engines.base import TranscriptionInfo

# Each a share; a transcript is held when any is crossed (with at least MIN_SPEECH_MS of speech to judge).
MAX_UNCERTAIN_WORDS = 0.3
MIN_WORDED_SPEECH = 0.6
MAX_FALLBACK = 0.3
MIN_SPEECH_MS = 3000


def primary(language: str) -> str:
    """``"en"`` of ``"en-GB"``: Whisper knows languages, not regions."""
    return (language or "").split("-")[0].lower()


def language_hint(audio) -> str:
    """The language of the show that the audio's pages belong to ("" when no page names one): the hint
    a multilingual model is given, and what an English-only model is checked against."""
    for page in audio.pages():
        show = getattr(page, "show", None)
        if show is not None and getattr(show, "language", ""):
            return show.language
    return ""


def hold_reason(info: TranscriptionInfo, hint: str = "") -> str:
    """Why this transcript must wait for an editor before anyone sees it, or "" when it need not.

    Only an English-only model's transcript is held: a multilingual one transcribes in the language it
    detected. ``info.signals`` must be complete (the engine's segments all read).
    """
    if info.multilingual:
        return ""
    if hint and primary(hint) != "en":
        return (
            f"The show's language is {hint!r}, but the transcription model only knows English: the "
            "transcript is probably nonsense. Check it, or install a multilingual model (make "
            "install-models) and transcribe again."
        )
    signals = info.signals
    if signals.speech_ms < MIN_SPEECH_MS:
        return ""
    doubts = []
    if signals.words and signals.uncertain_words / signals.words > MAX_UNCERTAIN_WORDS:
        doubts.append(f"{signals.uncertain_words / signals.words:.0%} of the words are uncertain")
    if signals.worded_ms / signals.speech_ms < MIN_WORDED_SPEECH:
        worded = min(signals.worded_ms / signals.speech_ms, 1)
        doubts.append(f"only {worded:.0%} of the speech came out as words")
    if signals.decoded_ms and signals.fallback_ms / signals.decoded_ms > MAX_FALLBACK:
        doubts.append(f"{signals.fallback_ms / signals.decoded_ms:.0%} of it decoded only on a second try")
    if not doubts:
        return ""
    return (
        "The speech may not be English, which is all the transcription model knows: "
        + "; ".join(doubts)
        + ". Check the transcript before approving it, or install a multilingual model (make install-models) "
        "and transcribe again."
    )
