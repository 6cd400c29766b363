from .learning import LearningPathPage, LearningPathStep
from .mentions import Mention
from .pages import ConceptIndexPage, ConceptPage, ManualMention, RelatedConcept

__all__ = [
    "ConceptIndexPage",
    "ConceptPage",
    "LearningPathPage",
    "LearningPathStep",
    "ManualMention",
    "Mention",
    "RelatedConcept",
]
