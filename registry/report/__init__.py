"""The Art. 15 access report and the letters of the request workflow.

- contents: the report as typed data; gather and build: reading it for a request or person
- review: others' data in free text, withheld with a reason (Art. 15(4))
- language, declaration_text: Finnish, Swedish and English words, dates and numbers
- letters and templates/: the letters, rendered by Jinja2 with autoescaping
- sending: drafts and the final report (the REPORT step); sent: the copies kept of what was sent
- notices: the notice of extension and the decision not to act, and their deadlines
"""

from registry.report.build import reference, to_html, to_json
from registry.report.sending import Rendered, generate, generate_for_person, preview

__all__ = [
    "Rendered",
    "generate",
    "generate_for_person",
    "preview",
    "reference",
    "to_html",
    "to_json",
]
