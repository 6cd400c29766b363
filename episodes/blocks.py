from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock

from .fields import TimestampFormField


class ExternalLinkBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=255)
    url = blocks.URLBlock(label="URL")
    description = blocks.TextBlock(required=False)

    class Meta:
        icon = "link-external"
        label = "External link"


class RelatedContentBlock(blocks.StreamBlock):
    """'Further reading': pages on this site and links elsewhere, in the editor's order."""

    page = blocks.PageChooserBlock(label="Page on this site")
    link = ExternalLinkBlock()

    class Meta:
        required = False


class QuestionBlock(blocks.StructBlock):
    speaker = SnippetChooserBlock("episodes.Person", required=False, help_text="Who asks.")
    text = blocks.TextBlock()

    class Meta:
        icon = "help"
        template = "episodes/blocks/question.html"


class AnswerBlock(blocks.StructBlock):
    speaker = SnippetChooserBlock("episodes.Person", required=False, help_text="Who answers.")
    text = blocks.RichTextBlock(features=["bold", "italic", "link", "ol", "ul"])

    class Meta:
        icon = "openquote"
        template = "episodes/blocks/answer.html"


class TimestampBlock(blocks.FieldBlock):
    """A moment in the audio, typed as ``1:23`` or ``1:02:03`` and kept as milliseconds."""

    def __init__(self, required=False, help_text=None, **kwargs):
        self.field = TimestampFormField(required=required, help_text=help_text)
        super().__init__(**kwargs)


class PullQuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock()
    attribution = blocks.CharBlock(required=False, max_length=255)
    time = TimestampBlock(
        help_text="Where it is said in the interview's audio, like 12:34: the quote then links to that "
        "moment. Leave empty for a quote without audio."
    )

    class Meta:
        icon = "pick"
        label = "Pull quote"
        template = "episodes/blocks/pull_quote.html"


class InterviewBodyBlock(blocks.StreamBlock):
    question = QuestionBlock()
    answer = AnswerBlock()
    pull_quote = PullQuoteBlock()
    paragraph = blocks.RichTextBlock(
        features=["h2", "h3", "bold", "italic", "link", "ol", "ul"],
        help_text="Narrative text between questions.",
    )
