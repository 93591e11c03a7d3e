"""Builds the default Word templates in this folder (python-docx), with docxtpl tags in them.

    .venv/bin/python templates/documents/build.py

The .docx files are committed: a partnership edits them in Word (wording, layout, logo) and keeps
the {{ tags }}. Run this only to regenerate the shipped defaults. Context keys: templates/README.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor

HERE = Path(__file__).resolve().parent
GREY = RGBColor(0x59, 0x59, 0x59)


def new(title: str, footer: str) -> DocumentObject:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(11)
    section = doc.sections[0]
    header = section.header.paragraphs[0]
    header.text = "{{ classification }}"
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    foot = section.footer.paragraphs[0]
    foot.text = "{{ classification }} – " + footer
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_heading(title, level=1)
    return doc


def facts(doc: DocumentObject, rows: Sequence[tuple[str, str]]) -> None:
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
        cells[0].paragraphs[0].runs[0].bold = True


def looped_table(doc: DocumentObject, headers: Sequence[str], loop: str, cells: Sequence[str],
                 blank_rows: int = 0) -> None:
    """A table whose body repeats one row per item (docxtpl {%tr %}), plus blank rows to type in."""
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    table.add_row().cells[0].text = "{%tr for row in " + loop + " %}"
    for cell, text in zip(table.add_row().cells, cells, strict=True):
        cell.text = text
    table.add_row().cells[0].text = "{%tr endfor %}"
    for _ in range(blank_rows):
        table.add_row()


def guidance(doc: DocumentObject, text: str) -> None:
    run = doc.add_paragraph().add_run(text)
    run.italic = True
    run.font.color.rgb = GREY


def bullets(doc: DocumentObject, loop: str, item: str) -> None:
    doc.add_paragraph("{%p for item in " + loop + " %}")
    doc.add_paragraph(item, style="List Bullet")
    doc.add_paragraph("{%p endfor %}")


def save(doc: DocumentObject, name: str) -> None:
    doc.save(HERE / f"{name}.docx")


RETURN_SECTIONS = (
    ("Involvement", "Did your agency have any involvement with the child or family? Answer yes or no "
                    "(no is a nil return)."),
    ("Summary of involvement", "Dates of involvement and whether your involvement is open or closed."),
    ("Chronology", "Significant contacts within the scoping period, one row each. Add rows as needed."),
    ("Analysis of key practice episodes", "Decisions made and why; multi-agency working and information sharing."),
    ("The child's lived experience and identity", "The voice of the child; race, culture, faith, disability "
                                                  "and other protected characteristics."),
    ("Good practice", "What went well."),
    ("Learning", "What could have been done differently, by your agency and between agencies."),
    ("Immediate actions taken", "Including the safeguarding of other children."),
    ("Local review criteria", "In your view, may the case meet the criteria for a local child safeguarding "
                              "practice review? Suggest lines of enquiry."),
)


def information_request() -> None:
    doc = new("Rapid review: agency information request", "{{ case_ref }} – information request")
    facts(doc, [("Case reference", "{{ case_ref }}"), ("Child", "{{ child }}"), ("Agency", "{{ agency_name }}"),
                ("Date requested", "{{ requested }}"), ("Return by", "{{ due }}"),
                ("Return to", "{{ return_address }}"), ("Scoping period", "{{ scoping_from }} to {{ scoping_to }}"),
                ("Partnership", "{{ partnership_name }}")])
    doc.add_heading("Subjects to search for", level=2)
    looped_table(doc, ("Name", "Relationship to the child", "Date of birth", "Address"), "subjects",
                 ("{{ row.name }}", "{{ row.relationship }}", "{{ row.date_of_birth }}", "{{ row.address }}"))
    for title, hint in RETURN_SECTIONS:
        doc.add_heading(title, level=2)
        guidance(doc, hint)
        if title == "Chronology":
            table = doc.add_table(rows=1, cols=4)
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, ("Date", "Contact or event", "Practitioner role", "Outcome"),
                                  strict=True):
                cell.text = text
                cell.paragraphs[0].runs[0].bold = True
            for _ in range(6):
                table.add_row()
        else:
            doc.add_paragraph("")
    doc.add_heading("Author and manager sign-off", level=2)
    table = doc.add_table(rows=3, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("", "Name", "Role", "Date"), strict=True):
        cell.text = text
    table.rows[1].cells[0].text, table.rows[2].cells[0].text = "Author", "Manager"
    save(doc, "information_request")


REFERRAL_ROWS = (
    "Child (pseudonym for the register)", "Age at the incident", "Date of the incident",
    "Date the local authority became aware", "Local authority where the incident happened",
    "Local authority where the child normally lives", "Local authority responsible for the child",
    "Looked after (yes/no)", "Care leaver (yes/no)", "Domestic abuse known or suspected (yes/no)", "Agencies involved",
    "Referring agency", "Referrer (name and role)", "Agreed with your agency's senior safeguarding lead (yes/no)",
)
REFERRAL_SECTIONS = (
    ("What happened", "The incident and how it came to light, the harm to the child, and what has been done since to "
                      "keep the child and any other children safe. Use pseudonyms for the child and family."),
    ("Why the criteria may be met", "Whether abuse or neglect is known or suspected and the child has died or been "
                                    "seriously harmed, or the child was looked after and has died. Say what is not "
                                    "yet known."),
)


def referral_form() -> None:
    """The blank form a partner agency's safeguarding lead fills in to refer a serious incident; the bot reads it
    back by its row labels and headings (bot/documents/referral.py), so keep their opening words."""
    doc = new("Serious incident referral", "serious incident referral")
    doc.add_paragraph("To refer a serious incident to {{ partnership_name }}: complete this form, agree it with your "
                      "agency's senior safeguarding lead and email it securely to {{ contact }}.")
    guidance(doc, "Use the child's pseudonym, never their name. Write dates as day/month/year, e.g. 12/01/2027, and "
                  "answer yes/no questions with yes or no. List agencies by name or code, separated by commas.")
    facts(doc, [(label, "") for label in REFERRAL_ROWS])
    for title, hint in REFERRAL_SECTIONS:
        doc.add_heading(title, level=2)
        guidance(doc, hint)
        doc.add_paragraph("")
    save(doc, "referral_form")


def rapid_review_report() -> None:
    doc = new("Rapid review report", "{{ case_ref }} – version {{ version }}")
    facts(doc, [("Partnership", "{{ partnership_name }}"), ("Local authority", "{{ local_authority }}"),
                ("Case reference", "{{ case_ref }}"), ("SIN reference", "{{ sin_reference }}"),
                ("Child", "{{ child }}"), ("Date of birth", "{{ child_date_of_birth }}"),
                ("Gender", "{{ child_gender }}"), ("Ethnicity", "{{ child_ethnicity }}"),
                ("Disability", "{{ child_disability }}"), ("LA aware", "{{ la_aware }}"),
                ("SIN submitted", "{{ sin_submitted }}"), ("Rapid review due", "{{ rapid_review_due }}"),
                ("Version", "{{ version }}")])
    for title, key in (("Family structure and relevant background", "family_structure"),
                       ("Immediate safeguarding arrangements", "safeguarding_arrangements"),
                       ("Summary of the facts", "incident_summary")):
        doc.add_heading(title, level=2)
        doc.add_paragraph("{{ " + key + " }}")
    doc.add_heading("Agencies asked for information", level=2)
    looped_table(doc, ("Agency", "Return", "Received", "Explanation if missing or late"), "agencies",
                 ("{{ row.name }}", "{{ row.status }}", "{{ row.received }}", "{{ row.explanation }}"))
    doc.add_heading("Multi-agency chronology", level=2)
    looped_table(doc, ("Date", "Agency", "Contact or event", "Practitioner role", "Outcome"), "chronology",
                 ("{{ row.date }}", "{{ row.agency }}", "{{ row.event }}", "{{ row.role }}", "{{ row.outcome }}"))
    for title, key in (("Good practice", "good_practice"), ("Learning", "learning")):
        doc.add_heading(title, level=2)
        doc.add_paragraph("{%p for group in " + key + " %}")
        doc.add_paragraph("{{ group.agency }}", style="Heading 3")
        doc.add_paragraph("{%p for item in group.entries %}")
        doc.add_paragraph("{{ item }}", style="List Bullet")
        doc.add_paragraph("{%p endfor %}")
        doc.add_paragraph("{%p endfor %}")
    doc.add_heading("Returns the bot could not read", level=2)
    guidance(doc, "Kept as written; check them by hand.")
    doc.add_paragraph("{%p for row in unread %}")
    doc.add_paragraph("{{ row.agency }}: {{ row.text }}", style="List Bullet")
    doc.add_paragraph("{%p endfor %}")
    doc.add_heading("Decision on a local child safeguarding practice review", level=2)
    guidance(doc, "Against the criteria in SI 2018/789 regulation 11.")
    looped_table(doc, ("Criterion", "Met?"), "criteria", ("{{ row.text }}", "{{ row.met }}"))
    doc.add_paragraph("Decision: {{ decision }}")
    doc.add_paragraph("Key lines of enquiry:")
    bullets(doc, "key_lines_of_enquiry", "{{ item }}")
    doc.add_heading("Immediate learning and how it will be shared", level=2)
    doc.add_paragraph("{{ immediate_learning }}")
    doc.add_paragraph("{{ dissemination }}")
    doc.add_heading("Sign-off", level=2)
    looped_table(doc, ("Role", "Name", "Date"), "sign_off", ("{{ row.role }}", "{{ row.name }}", "{{ row.date }}"))
    save(doc, "rapid_review_report")


def letter(name: str, title: str, footer: str, addressee: Sequence[str], body: Sequence[str],
           lists: Sequence[tuple[str, str]] = (), closing: Sequence[str] = ()) -> None:
    doc = new(title, footer)
    for line in addressee:
        doc.add_paragraph(line)
    for paragraph in body:
        doc.add_paragraph(paragraph)
    for label, loop in lists:
        doc.add_paragraph(label)
        bullets(doc, loop, "{{ item }}")
    for line in closing:
        doc.add_paragraph(line)
    save(doc, name)


def letters() -> None:
    letter("lcspr_notification_letter", "Local child safeguarding practice review: notification",
           "{{ case_ref }} – LCSPR notification",
           ["{{ recipient_name }}", "{{ recipient_organisation }}", "{{ today }}"],
           ["Review: {{ case_ref }} ({{ child }})",
            "On {{ decision_date }} the safeguarding partners of {{ partnership_name }} decided to commission a "
            "local child safeguarding practice review. The review will use {{ methodology }} and is led by "
            "{{ lead_reviewer }}. It is to be published by {{ publication_due }}.",
            "The review is about learning, not blame, and it is not an investigation. Staff who take part will "
            "be supported. Where criminal or other proceedings run in parallel, the review will liaise with "
            "them and legal advice will be taken where needed. Please notify your own regulator as required.",
            "The key lines of enquiry and what we need from your organisation are below."],
           [("Key lines of enquiry:", "lines_of_enquiry"), ("From your organisation we need:", "requirements")],
           ["Information is shared under the partners' statutory duties; return it only by secure email to "
            "{{ contact }}.", "{{ partnership_name }} business team"])
    letter("family_notification_letter", "Draft letter to the family: for the case review group only",
           "{{ case_ref }} – DRAFT: not to be sent without a case review group decision",
           ["{{ addressee }} ({{ relationship }})", "{{ today }}"],
           ["This draft is for the case review group. It is delivered and explained in person by someone who "
            "knows the family, ideally with the lead reviewer; it is never sent by the bot.",
            "We are writing about {{ child }}. {{ partnership_name }} is carrying out a review to learn how "
            "services worked with your family. It is separate from any police or coroner's investigation and "
            "is not about blaming anyone.",
            "You are invited to tell the reviewer, {{ reviewer_name }}, about your experience. You can contact "
            "them at {{ reviewer_contact }}. {{ advocate_offer }} {{ translation_offer }}",
            "Your information will be used only for the review. You will be able to read the report before it "
            "is published, and nothing that identifies your family will be published."],
           (), ["{{ contact }}"])
    letter("delay_notice", "Notice of delay to the Child Safeguarding Practice Review Panel",
           "{{ case_ref }} – delay notice",
           ["To: the Child Safeguarding Practice Review Panel", "{{ today }}"],
           ["Partnership: {{ partnership_name }}", "Local authority: {{ local_authority }}",
            "SIN reference: {{ sin_reference }}", "Our reference: {{ case_ref }} ({{ child }})",
            "Review: {{ review_type }}", "Original due date: {{ original_due }}",
            "Revised date: {{ revised_due }}", "Reason for the delay: {{ reason }}",
            "Mitigations and learning already shared: {{ mitigations }}"],
           (), ["Contact: {{ contact }}"])
    letter("lcspr_commissioning_notice", "Notice of a local child safeguarding practice review",
           "{{ case_ref }} – LCSPR commissioning notice",
           ["{{ today }}"],
           ["Partnership: {{ partnership_name }}", "Local authority: {{ local_authority }}",
            "SIN reference: {{ sin_reference }}", "Our reference: {{ case_ref }} ({{ child }})",
            "Date of the decision to commission: {{ decision_date }}", "Lead reviewer: {{ lead_reviewer }}",
            "Methodology: {{ methodology }}", "Publication due by: {{ publication_due }}"],
           [("This notice goes to:", "recipients")], ["Contact: {{ contact }}"])
    letter("pre_publication_cover_letter", "Local child safeguarding practice review: report before publication",
           "{{ case_ref }} – pre-publication",
           ["{{ today }}"],
           ["We enclose the final report of the local child safeguarding practice review {{ report_title }} "
            "({{ case_ref }}), led by {{ lead_reviewer }}.",
            "The safeguarding partners plan to publish it on {{ publication_date }}. Under SI 2018/789 the "
            "report reaches the Panel and the Secretary of State at least seven working days before "
            "publication, by {{ submission_due }}; Ofsted receives it in the same timescale."],
           [("This letter goes to:", "recipients")], ["Contact: {{ contact }}", "{{ partnership_name }}"])


if __name__ == "__main__":
    information_request()
    rapid_review_report()
    letters()
    referral_form()
    print("built:", ", ".join(sorted(p.name for p in HERE.glob("*.docx"))))
