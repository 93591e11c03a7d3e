"""Reads a partner agency's serious incident referral form (Word), which starts a case at stage "referred".

Lenient about layout: a row is found by the opening words of its label, in any order, in any table (words added,
rows re-ordered or moved, a "Label: answer" paragraph); headers and footers are never read. Strict about values:
a date that is not a whole date, or a yes/no that is neither, is None with a flag for a person to look at. Never
raises: a document that cannot be opened gives an empty result whose flags say why, and no text is cut or left
unread without a flag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.documents import wordxml
from bot.documents.returns import short, without_guidance
from bot.documents.safety import UnsafeDocument, check_docx
from bot.documents.ukdates import parse_uk_date, plain

__all__ = ["GUIDANCE", "LABELS", "MAX_FIELD", "SECTIONS", "TITLE", "ParsedReferral", "is_referral_form",
           "parse_referral"]

# The shipped form's title, row labels, headings and guidance (templates/documents/build.py; a unit test keeps
# them in step). A label is matched by its words before the bracket: "Looked after", "Date of the incident".
TITLE = "Serious incident referral"
LABELS = {
    "child": "Child (pseudonym for the register)",
    "age": "Age at the incident",
    "incident": "Date of the incident",
    "la_aware": "Date the local authority became aware",
    "incident_la": "Local authority where the incident happened",
    "residence_la": "Local authority where the child normally lives",
    "responsible_la": "Local authority responsible for the child",
    "looked_after": "Looked after (yes/no)",
    "care_leaver": "Care leaver (yes/no)",
    "domestic_abuse": "Domestic abuse known or suspected (yes/no)",
    "agencies": "Agencies involved",
    "referring_agency": "Referring agency",
    "referrer": "Referrer (name and role)",
    "agreed_by_senior_lead": "Agreed with your agency's senior safeguarding lead (yes/no)",
}
SECTIONS = {"what_happened": "What happened", "criteria": "Why the criteria may be met"}
GUIDANCE = (
    "Use the child's pseudonym, never their name. Write dates as day/month/year, e.g. 12/01/2027, and answer yes/no "
    "questions with yes or no. List agencies by name or code, separated by commas.",
    "The incident and how it came to light, the harm to the child, and what has been done since to keep the child "
    "and any other children safe. Use pseudonyms for the child and family.",
    "Whether abuse or neglect is known or suspected and the child has died or been seriously harmed, or the child was "
    "looked after and has died. Say what is not yet known.",
)
MAX_FIELD = 2000  # characters kept of any one answer; more is cut, with a flag

_YES = {"yes", "y", "true", "x", "✓", "✔", "☑"}
_NO = {"no", "n", "false", "none", "nil"}
_PSEUDONYM_WORD = re.compile(r"\b(child|baby|infant|unborn|young person|yp|sibling|case)\b", re.IGNORECASE)
_FULL_NAME = re.compile(r"[A-Z][a-z]*(?:['-][A-Z]?[a-z]+)*(?:\s+[A-Z][a-z]*(?:['-][A-Z]?[a-z]+)*){1,3}")
_AGE = re.compile(r"(?:aged?\s+)?(\d{1,3})\s*(?:(years?|yrs?|y)(?:\s*(?:and\s+)?\d{1,2}\s*(?:months?|mths?|m))?"
                  r"|(months?|mths?)|(weeks?|wks?)|(days?))?(?:\s+old)?")
_ESSENTIAL = {"child", "incident", "la_aware", "referring_agency", "what_happened"}  # blank is flagged


@dataclass(frozen=True)
class ParsedReferral:
    child: str  # pseudonym as written, stripped ("" if blank)
    age: int | None  # whole years; a baby's "6 weeks" is 0
    incident: date | None
    la_aware: date | None
    incident_la: str
    residence_la: str
    responsible_la: str
    looked_after: bool | None  # None = blank or unclear
    care_leaver: bool | None
    domestic_abuse: bool | None
    agencies: tuple[str, ...]  # as written, split on commas, semicolons and lines
    referring_agency: str
    referrer: str
    agreed_by_senior_lead: bool | None
    what_happened: str
    criteria: str
    flags: tuple[str, ...]  # short reasons for a person to look


def is_referral_form(data: bytes) -> bool:
    """True for a referral form: titled "Serious incident referral" (first heading, first paragraph or a table cell)
    with at least 3 of the form's row labels. False for anything else, unreadable bytes included."""
    try:
        scan = _scan(data)
    except Exception:
        return False
    return scan.titled and len(scan.found.keys() & LABELS.keys()) >= 3


def parse_referral(data: bytes) -> ParsedReferral:
    """The answers on a referral form, wherever the partnership or agency moved the rows."""
    try:
        scan = _scan(data)
    except UnsafeDocument as error:
        return _empty(f"could not open the document: {error.reason[:1].lower()}{error.reason[1:]}")
    except Exception as error:  # any failure to open still gives a flagged result, never a crash
        return _empty(f"could not open the document: {type(error).__name__}")
    try:
        return scan.result()
    except Exception as error:  # a bug reading one value must not lose the referral: say so
        return _empty(f"could not read the document: {type(error).__name__}")


def _empty(reason: str) -> ParsedReferral:
    return ParsedReferral("", None, None, None, "", "", "", None, None, None, (), "", "", None, "", "", (reason,))


def _key(text: str) -> str:
    """A label as compared: lower case, no numbering ('3.', 'a)'), apostrophes or punctuation."""
    s = plain(text).lower().replace("&", " and ")
    s = re.sub(r"^\s*(q\s*)?(\d+(\.\d+)*[.):]?|[a-z][.)])\s+", "", s).replace("'", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", s).split())


def _stem(label: str) -> str:
    """The label without its bracketed hint: 'Looked after (yes/no)' -> 'Looked after'."""
    return re.sub(r"\s*\(.*\)\s*$", "", label)


_STEMS = {name: _key(_stem(label)) for name, label in (LABELS | SECTIONS).items()}
_NAMES = {name: _stem(label)[:1].lower() + _stem(label)[1:] for name, label in (LABELS | SECTIONS).items()}  # flags
_TITLE_KEY = _key(TITLE)


def _field(label: str) -> str | None:
    """The field whose label this starts with (the longest if several do), or None."""
    k = _key(label)
    matches = [name for name, stem in _STEMS.items() if k == stem or k.startswith(stem + " ")]
    return max(matches, key=lambda name: len(_STEMS[name]), default=None)


def _labelled(text: str) -> tuple[str, str] | None:
    """(field, answer) for 'Date of the incident: 10/01/2027' typed in one paragraph or cell."""
    label, colon, answer = text.partition(":")
    name = _field(label) if colon and len(label) <= 120 else None
    return (name, answer.strip()) if name else None


def _scan(data: bytes) -> _Scan:
    check_docx(data)  # python-docx has no zip-bomb guard; the same check the mailbox makes (raises UnsafeDocument)
    body, levels = wordxml.open(data)
    scan = _Scan()
    for block in wordxml.blocks(body):
        if block.tag == wordxml.W + "tbl":
            scan.table(block)
            continue
        try:
            scan.paragraph(block, levels)
        except Exception as error:  # an odd element is flagged; the rest is still read
            scan.flag(f"could not read part of the document: {type(error).__name__}")
    return scan


@dataclass
class _Scan:
    """The walk through the body in order: table rows by label, paragraphs under the form's headings."""

    titled: bool = False
    first_paragraph: bool = True
    first_heading: bool = True
    section: str | None = None
    section_level: int | None = None
    found: dict[str, list[str]] = field(default_factory=dict)  # field -> every answer given for it
    flags: list[str] = field(default_factory=list)

    def flag(self, reason: str) -> None:
        if reason not in self.flags:
            self.flags.append(reason)

    def answer(self, name: str, text: str) -> None:
        self.found.setdefault(name, []).append(text)

    def table(self, tbl: wordxml.Element, depth: int = 0) -> None:
        for tr in wordxml.children(tbl, wordxml.W + "tr"):
            try:
                nested = [b for tc in wordxml.children(tr, wordxml.W + "tc") for b in wordxml.blocks(tc)
                          if b.tag == wordxml.W + "tbl"]
                if nested and depth < 8:  # a layout table holding the form's table: read the inner rows
                    for inner in nested:
                        self.table(inner, depth + 1)
                elif tr.find(f"{wordxml.W}trPr/{wordxml.W}del") is None:  # a row deleted with changes tracked
                    self.row([t for _, t in sorted(wordxml.cells(tr).items())])
            except Exception as error:
                self.flag(f"could not read part of the document: {type(error).__name__}")

    def row(self, cells: list[str]) -> None:
        filled = [(i, t) for i, t in enumerate(cells) if t]
        if not filled:
            return
        label = filled[0][1]
        answer = "\n".join(t for _, t in filled[1:])
        if _TITLE_KEY in _key(label):
            self.titled = True
        if (name := _field(label)) is not None:
            if not answer and (typed := _labelled(label)) and typed[0] == name:
                answer = typed[1]
            self.answer(name, answer)
        elif self.section is not None:  # a table the agency put under a heading: its text is the answer
            self.answer(self.section, " | ".join(t for _, t in filled))
        elif answer and _TITLE_KEY not in _key(label):
            self.flag(f"a row the form does not have, not read: {short(label)!r}")

    def paragraph(self, p: wordxml.Element, levels: dict[str, int]) -> None:
        text = wordxml.text(p).strip()
        if not text:
            return
        level = wordxml.level(p, levels)
        is_title = _TITLE_KEY in _key(text)
        if self.first_paragraph or (level is not None and self.first_heading):
            self.titled = self.titled or is_title
        self.first_paragraph = False
        self.first_heading = self.first_heading and level is None
        heading = level is not None or wordxml.all_runs(p, "b")
        name = _field(text) if heading and len(text) <= 200 else None
        if name in SECTIONS:
            self.section, self.section_level = name, level
            self.found.setdefault(name, [])
        elif self.section is None:  # the form's own text, or a row typed as 'Label: answer'
            if (typed := _labelled(text)) and typed[0] in LABELS:
                self.answer(*typed)
        elif level is not None and (self.section_level is None or level <= self.section_level):
            self.section = None  # a heading the form does not have ends the section
            if not is_title:
                self.flag(f"a heading the form does not have, its text not read: {short(text)!r}")
        elif (rest := without_guidance(text, GUIDANCE)) is not None:
            if rest:
                self.answer(self.section, rest)
        else:
            self.answer(self.section, text)

    def result(self) -> ParsedReferral:
        if not self.found:
            self.flag("none of the form's rows or headings found")
        text = {name: self.value(name) for name in (*LABELS, *SECTIONS)}
        child = text["child"]
        if child and not _PSEUDONYM_WORD.search(child) and _FULL_NAME.fullmatch(child):
            self.flag("child: looks like a full name, not a pseudonym")
        incident, la_aware = self.date("incident", text["incident"]), self.date("la_aware", text["la_aware"])
        if incident and la_aware and la_aware < incident:
            self.flag("date the local authority became aware: before the date of the incident")
        agencies = tuple(a for part in re.split(r"[,;\n]", text["agencies"]) if (a := part.strip(" \t•*·▪-")))
        return ParsedReferral(
            child=child, age=self.age(text["age"]), incident=incident, la_aware=la_aware,
            incident_la=text["incident_la"], residence_la=text["residence_la"], responsible_la=text["responsible_la"],
            looked_after=self.yes_no("looked_after", text["looked_after"]),
            care_leaver=self.yes_no("care_leaver", text["care_leaver"]),
            domestic_abuse=self.yes_no("domestic_abuse", text["domestic_abuse"]), agencies=agencies,
            referring_agency=text["referring_agency"], referrer=text["referrer"],
            agreed_by_senior_lead=self.yes_no("agreed_by_senior_lead", text["agreed_by_senior_lead"]),
            what_happened=text["what_happened"], criteria=text["criteria"], flags=tuple(self.flags))

    def value(self, name: str) -> str:
        """The field's answer, stripped and cut at MAX_FIELD; flags a missing row, a blank essential answer and
        different answers given twice (the first is used)."""
        label = _NAMES[name]
        if name not in self.found:
            if self.found:
                self.flag(f"{label}: {'heading' if name in SECTIONS else 'row'} not found")
            return ""
        answers = [a.strip() for a in self.found[name] if a.strip()]
        if name in SECTIONS:
            answers = ["\n".join(answers)] if answers else []
        if not answers:
            if name in _ESSENTIAL:
                self.flag("child: no pseudonym given" if name == "child" else f"{label}: not given")
            return ""
        if len(set(answers)) > 1:
            self.flag(f"{label}: answered more than once; the first answer is used")
        if len(answers[0]) > MAX_FIELD:
            self.flag(f"{label}: cut at {MAX_FIELD:,} characters (it had {len(answers[0]):,})")
        return answers[0][:MAX_FIELD]

    def date(self, name: str, text: str) -> date | None:
        when = parse_uk_date(text) if text else None
        if text and when is None:
            self.flag(f"{_NAMES[name]}: unreadable {short(text)!r}")
        return when

    def age(self, text: str) -> int | None:
        m = _AGE.fullmatch(" ".join(plain(text).lower().split()).strip(" ."))
        n = int(m[1]) if m else 0
        years = None if not m else n // 12 if m[3] else n // 52 if m[4] else 0 if m[5] else n
        if text and (years is None or years > 25):
            self.flag(f"{_NAMES['age']}: not understood {short(text)!r}")
            return None
        return years

    def yes_no(self, name: str, text: str) -> bool | None:
        """Yes or no, whole or as the first word of a longer answer ('No, but known to CSC': flagged)."""
        s = " ".join(plain(text).lower().split()).strip(" .!")
        if not s:
            return None
        if s in _YES or s in _NO:
            return s in _YES
        first = re.split(r"[\s,;:.()-]+", s, maxsplit=1)[0]
        if first in _YES or first in _NO:
            self.flag(f"{_NAMES[name]}: read as {'yes' if first in _YES else 'no'} from {short(text)!r}")
            return first in _YES
        self.flag(f"{_NAMES[name]}: not understood {short(text)!r}")
        return None


