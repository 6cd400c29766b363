from .mentions import Mention
from .pages import ConceptIndexPage, ConceptPage, ManualMention, RelatedConcept

__all__ = ["ConceptIndexPage", "ConceptPage", "ManualMention", "Mention", "RelatedConcept"]
