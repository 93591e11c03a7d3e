"""A complete, fictional context for every document template. One source for three things: the keys a
template may use (a partnership template using any other fails at start), the render tests, and the
previews and key lists in templates/README.md. Also a filled-in referral form, as an agency would send it."""

from __future__ import annotations

import io
from typing import Any

COMMON: dict[str, Any] = {
    "classification": "OFFICIAL-SENSITIVE",
    "partnership_name": "Northshire Safeguarding Children Partnership",
    "local_authority": "Northshire County Council",
    "case_ref": "RR-2026-014",
    "child": "Child A",
    "today": "24 December 2026",
    "contact": "business-team@northshire-scp.example",
}

EXAMPLES: dict[str, dict[str, Any]] = {
    "information_request": {
        **COMMON,
        "agency_name": "Northshire Police",
        "requested": "24 December 2026",
        "due": "7 January 2027",
        "return_address": "cspr-bot@northshire-scp.example",
        "scoping_from": "21 December 2025",
        "scoping_to": "21 December 2026",
        "subjects": [
            {"name": "Child A", "relationship": "the child", "date_of_birth": "4 March 2019",
             "address": "1 Example Row, Northshire"},
            {"name": "Adult B", "relationship": "mother", "date_of_birth": "12 July 1994",
             "address": "1 Example Row, Northshire"},
        ],
    },
    "rapid_review_report": {
        **COMMON,
        "version": "draft v3",
        "sin_reference": "SIN-2026-0427",
        "la_aware": "22 December 2026",
        "sin_submitted": "24 December 2026",
        "rapid_review_due": "19 January 2027",
        "child_date_of_birth": "4 March 2019",
        "child_gender": "Female",
        "child_ethnicity": "White British",
        "child_disability": "None known",
        "family_structure": "Child A lives with her mother (Adult B) and a younger sibling (Child C).",
        "safeguarding_arrangements": "Child C is placed with a family member under a safety plan.",
        "incident_summary": "Child A was admitted to hospital with injuries that were not explained.",
        "agencies": [
            {"name": "Northshire Police", "status": "returned", "received": "31 December 2026", "explanation": ""},
            {"name": "Northshire Education Safeguarding Service", "status": "not received", "received": "",
             "explanation": "Chased and escalated; see the case review group minutes."},
        ],
        "chronology": [
            {"date": "14 November 2026", "agency": "Northshire Police", "event": "Domestic incident call-out",
             "role": "Response officer", "outcome": "DASH risk assessment: medium"},
            {"date": "20 November 2026", "agency": "Northshire Children's Social Care",
             "event": "Child and family assessment", "role": "Social worker", "outcome": "Child in need plan"},
        ],
        "good_practice": [{"agency": "Northshire Police", "entries": ["Prompt referral to children's services."]}],
        "learning": [{"agency": "Northshire Police", "entries": ["Greater curiosity about adults in the home."]}],
        "unread": [{"agency": "Northshire Primary Care", "text": "Seen twice in 2026; see attached letter."}],
        "criteria": [
            {"text": "(a) the case highlights improvements needed to safeguard children", "met": "Yes"},
            {"text": "(b) the case highlights recurrent themes", "met": "No"},
            {"text": "(c) the case highlights concerns about agencies working together", "met": "Yes"},
            {"text": "(d) the Panel has considered a local review may be more appropriate", "met": "No"},
        ],
        "decision": "A local child safeguarding practice review is commissioned.",
        "key_lines_of_enquiry": ["How risk from adults in the household was assessed.",
                                 "How agencies shared information after the October attendance."],
        "immediate_learning": "Multi-agency briefing on the voice of the child.",
        "dissemination": "Shared through the partnership's seven-minute briefing.",
        "sign_off": [{"role": "Local authority", "name": "Director of Children's Services", "date": ""},
                     {"role": "Police", "name": "Detective Superintendent", "date": ""},
                     {"role": "Integrated care board", "name": "Chief Nurse", "date": ""},
                     {"role": "Independent scrutineer", "name": "Independent Scrutineer", "date": ""}],
    },
    "lcspr_notification_letter": {
        **COMMON,
        "recipient_name": "Safeguarding lead",
        "recipient_organisation": "Northshire Police",
        "decision_date": "20 January 2027",
        "methodology": "a systems-based learning review",
        "lead_reviewer": "Reviewer D",
        "publication_due": "20 July 2027",
        "lines_of_enquiry": ["How risk from adults in the household was assessed."],
        "requirements": ["Secure your records relating to the family.",
                         "Nominate a panel member who was not operationally involved.",
                         "Name practitioners who can attend a learning event."],
    },
    "family_notification_letter": {
        **COMMON,
        "addressee": "Adult B",
        "relationship": "mother",
        "reviewer_name": "Reviewer D",
        "reviewer_contact": "reviewer.d@northshire-scp.example",
        "advocate_offer": "An independent advocate can support you.",
        "translation_offer": "We can provide an interpreter and translated documents.",
    },
    "delay_notice": {
        **COMMON,
        "sin_reference": "SIN-2026-0427",
        "review_type": "Rapid review",
        "original_due": "19 January 2027",
        "revised_due": "26 January 2027",
        "reason": "A health agency's return is outstanding.",
        "mitigations": "Immediate safeguarding actions are in place; learning briefing issued.",
    },
    "lcspr_commissioning_notice": {
        **COMMON,
        "sin_reference": "SIN-2026-0427",
        "decision_date": "20 January 2027",
        "lead_reviewer": "Reviewer D",
        "methodology": "a systems-based learning review",
        "publication_due": "20 July 2027",
        "recipients": ["Child Safeguarding Practice Review Panel", "Ofsted", "Department for Education"],
    },
    "pre_publication_cover_letter": {
        **COMMON,
        "report_title": "Child A",
        "lead_reviewer": "Reviewer D",
        "publication_date": "20 July 2027",
        "submission_due": "9 July 2027",
        "recipients": ["Child Safeguarding Practice Review Panel", "Secretary of State for Education", "Ofsted"],
    },
    "referral_form": {
        "classification": COMMON["classification"],
        "partnership_name": COMMON["partnership_name"],
        "contact": COMMON["contact"],
    },
}

TEMPLATES = tuple(EXAMPLES)

# A fictional agency's answers on the referral form, by short name (filled_referral's keywords).
REFERRAL_ANSWERS: dict[str, str] = {
    "child": "Child B",
    "age": "14",
    "incident": "10/01/2027",
    "la_aware": "12/01/2027",
    "incident_la": "Northshire County Council",
    "residence_la": "Southshire Borough Council",
    "responsible_la": "Northshire County Council",
    "looked_after": "No",
    "care_leaver": "No",
    "domestic_abuse": "Yes",
    "agencies": "POL, CSC, HLT",
    "referring_agency": "Northshire Police",
    "referrer": "DS Example, safeguarding lead",
    "agreed": "Yes",
    "what_happened": "Child B was taken to hospital with a head injury that was not explained. Child B's younger "
                     "sibling is staying with a family member under a safety plan.",
    "criteria": "Neglect is suspected and Child B has been seriously harmed.",
}


def filled_referral(**overrides: str) -> bytes:
    """The shipped referral form, rendered with its example context and filled in with REFERRAL_ANSWERS (changed by
    `overrides`, e.g. la_aware="31/02/2027"): each answer in the cell beside its label, or the empty paragraph
    under its heading."""
    from docx import Document  # here, not at the top: the bot imports this module for EXAMPLES alone

    from bot.documents.referral import LABELS, SECTIONS
    from bot.documents.render import DocumentTemplates  # imports this module

    if unknown := set(overrides) - set(REFERRAL_ANSWERS):
        raise TypeError(f"filled_referral() got unexpected keywords {sorted(unknown)}")
    answers = {**REFERRAL_ANSWERS, **overrides}
    labels = {label: answers["agreed" if name == "agreed_by_senior_lead" else name] for name, label in LABELS.items()}
    doc = Document(io.BytesIO(DocumentTemplates().render("referral_form", EXAMPLES["referral_form"]).data))
    for row in (row for table in doc.tables for row in table.rows):
        if row.cells[0].text in labels:
            row.cells[1].text = labels[row.cells[0].text]
    paragraphs = doc.paragraphs
    for name, heading in SECTIONS.items():
        at = next(i for i, p in enumerate(paragraphs) if p.text == heading)
        next(p for p in paragraphs[at + 1:] if not p.text).text = answers[name]
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
