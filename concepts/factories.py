import wagtail_factories

from .models import ConceptIndexPage, ConceptPage


class ConceptIndexPageFactory(wagtail_factories.PageFactory):
    title = "Concepts"
    slug = "concepts"

    class Meta:
        model = ConceptIndexPage


class ConceptPageFactory(wagtail_factories.PageFactory):
    title = "Coproduction"
    definition = "Patients and professionals designing and delivering care together, as equals."

    class Meta:
        model = ConceptPage
