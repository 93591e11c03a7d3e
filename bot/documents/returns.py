"""Reads an agency's returned information request form (Word) into structured data.

Lenient about layout (moved tables, renumbered headings, extra rows and paragraphs), strict about dates.
Text it cannot place is kept in `unread` with a flag saying why: a return is never silently cut short.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from bot.documents import wordxml
from bot.documents.ukdates import parse_uk_date, plain

__all__ = ["GUIDANCE", "TITLES", "ChronologyRow", "ParsedReturn", "parse_return", "parse_uk_date"]

# The shipped form's headings and guidance (templates/documents/build.py; a unit test keeps them in step).
TITLES = {
    "Rapid review: agency information request": "preamble", "Subjects to search for": "preamble",
    "Involvement": "involvement", "Summary of involvement": "summary", "Chronology": "chronology",
    "Analysis of key practice episodes": "analysis", "The child's lived experience and identity": "lived_experience",
    "Good practice": "good_practice", "Learning": "learning", "Immediate actions taken": "actions",
    "Local review criteria": "criteria_view", "Author and manager sign-off": "sign_off",
}
GUIDANCE = (
    "Did your agency have any involvement with the child or family? Answer yes or no (no is a nil return).",
    "Dates of involvement and whether your involvement is open or closed.",
    "Significant contacts within the scoping period, one row each. Add rows as needed.",
    "Decisions made and why; multi-agency working and information sharing.",
    "The voice of the child; race, culture, faith, disability and other protected characteristics.",
    "What went well.", "What could have been done differently, by your agency and between agencies.",
    "Including the safeguarding of other children.",
    "In your view, may the case meet the criteria for a local child safeguarding practice review? Suggest lines of "
    "enquiry.",
)
_INVOLVED = {"yes": True, "y": True, "involved": True, "yes involved": True, "no": False, "n": False, "none": False,
             "no involvement": False, "nil": False, "nil return": False, "no nil return": False}
_COLUMNS = (("date", r"^date"), ("event", r"contact|event"), ("role", r"role|practitioner"), ("outcome", r"outcome"))
_LIST_MARK = re.compile(r"^([-•*·▪◦‣–]|\(?\d{1,2}[.)])\s+")


@dataclass(frozen=True)
class ChronologyRow:
    date: date | None  # parsed UK day-first; None if unreadable
    date_text: str  # as typed
    event: str
    role: str
    outcome: str


@dataclass(frozen=True)
class ParsedReturn:
    agency: str
    involvement: bool | None  # True yes, False an explicit nil return, None not answered or unclear
    summary: str
    chronology: tuple[ChronologyRow, ...]
    analysis: str
    lived_experience: str
    good_practice: tuple[str, ...]
    learning: tuple[str, ...]
    actions: tuple[str, ...]
    criteria_view: str
    author: str
    unread: tuple[str, ...]  # text the parser could not place: kept, never dropped
    flags: tuple[str, ...]  # short reasons for a person to look
    sign_off: tuple[str, ...] = ()  # the sign-off as filled in, a line per person: "Manager: Sam Jones, DI, 6/1/27"


def parse_return(data: bytes, agency: str) -> ParsedReturn:
    """The answers in a returned form, section by section, wherever the agency moved things."""
    reader = _Reader()
    try:
        body, levels = wordxml.open(data)
    except Exception as error:  # any failure to open still gives a flagged result, never a crash
        return ParsedReturn(agency, None, "", (), "", "", (), (), (), "", "", (),
                            (f"could not open the document: {type(error).__name__}",))
    for block in wordxml.blocks(body):
        try:
            reader.block(block, levels)
        except Exception as error:  # an odd element is kept as text and flagged; the rest is still read
            if lines := [line for line in wordxml.text(block).splitlines() if line.strip()]:
                reader.unread.append("\n".join(lines))
            reader.flag(f"could not read part of the document: {type(error).__name__}")
    return reader.result(agency)


def _key(text: str) -> str:
    """A heading as compared: no numbering ('3.', 'Section 3:'), trailing colon, case, dashes or leading 'the'."""
    s = plain(text).lower().replace("&", " and ").strip()
    s = re.sub(r"^(section\s+)?(\d+(\.\d+)*[.):]\s*|\d+\s+|[a-z][.)]\s*)", "", s)
    s = re.sub(r"^the\s+", "", re.sub(r"[\s:.]+$", "", s)).replace("-", " ")
    return " ".join(s.split())


_SECTIONS = {_key(title): key for title, key in TITLES.items()}
_TITLE_OF = {key: title for title, key in TITLES.items() if key != "preamble"}  # for unread: "Learning: ..."


def without_guidance(text: str, guidance: tuple[str, ...] = GUIDANCE) -> str | None:
    """None if the paragraph is not one of the form's `guidance` lines; else what the agency typed after it
    (often nothing). Shared with the referral form's reader."""
    flat = " ".join(plain(text).split())
    for hint in guidance:
        if flat.lower().startswith(hint.lower()):
            return flat[len(hint):].strip()
    return None


def short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 60 else flat[:57] + "..."


@dataclass
class _Reader:
    """The walk through the body in order, remembering which section it is in."""

    section: str = "preamble"
    title: str = ""
    level: int = 1
    fresh: bool = False  # just after a heading, where the guidance paragraph sits
    signed: bool = False  # the sign-off table has been read
    tables: int = 0
    author: str = ""
    parts: dict[str, list[str]] = field(default_factory=dict)
    rows: list[ChronologyRow] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list)  # table text before the first section
    seen: set[str] = field(default_factory=set)  # sections found
    unread: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    def flag(self, reason: str) -> None:
        if reason not in self.flags:
            self.flags.append(reason)

    def keep(self, text: str, reason: str | None = None) -> None:
        self.unread.append(f"{self.title}: {text}" if self.title else text)
        if reason:
            self.flag(reason)

    def block(self, el: wordxml.Element, levels: dict[str, int]) -> None:
        if el.tag == wordxml.W + "tbl":
            self.table([wordxml.cells(tr) for tr in wordxml.children(el, wordxml.W + "tr")])
        elif text := wordxml.text(el).strip():
            self.paragraph(el, text, wordxml.level(el, levels))

    def paragraph(self, p: wordxml.Element, text: str, level: int | None) -> None:
        bold = level is None and wordxml.all_runs(p, "b")
        section = _SECTIONS.get(_key(text))
        if section and (level is not None or bold):
            self.section, self.title, self.fresh = section, _TITLE_OF.get(section, text.rstrip(": ")), True
            self.seen.add(section)
            self.level = self.level if level is None else level
        elif level is not None and level <= self.level and self.section != "preamble":  # not on the form
            self.section, self.title, self.level, self.fresh = "unknown", text, level, False
            self.unread.append(text)
            self.flag(f"a heading the form does not have: {short(text)!r}")
        elif (rest := without_guidance(text)) is not None:  # the guidance, perhaps with the answer typed after it
            self.fresh = False
            if rest:
                self.answer(rest)
        elif self.fresh and level is None and wordxml.all_runs(p, "i"):  # guidance reworded, or typed over in its style
            self.fresh = False
            self.keep(text, f"italic text where the guidance goes, not read as an answer: {self.title!r}")
        else:  # text, or a sub-heading the agency added inside a section
            self.fresh = False
            self.answer(text)

    def answer(self, text: str) -> None:
        if self.section == "unknown":
            self.keep(text)
        elif self.section == "preamble":
            self.keep(text, "text before the form's sections")
        elif self.section == "chronology":
            self.chronology_text(text)
        elif self.section == "sign_off" and not self.signed:  # signed in words, not in the table
            self.author = self.author or text
            self.signatures.append(text)
        elif self.section == "sign_off":
            self.unread.append(f"After the sign-off: {text}")
            self.flag("text after the sign-off")
        else:
            self.parts.setdefault(self.section, []).append(text)

    def chronology_text(self, text: str) -> None:
        """A chronology typed as paragraphs ('3 Feb 2026: home visit', 'date | event | role | outcome')."""
        parts = [p.strip() for p in re.split(r"\s*\|\s*|\t+", text)]
        if len(parts) < 2 and (m := re.match(r"(.{6,40}?)\s*(?::|\s[-–]\s)\s*(.+)", text, re.S)):
            parts = [m[1], m[2]]
        if len(parts) >= 2 and parse_uk_date(parts[0]):
            self.add_row(parts[0], parts[1], parts[2] if len(parts) > 2 else "", " | ".join(parts[3:]))
        else:
            self.keep(text, "chronology text outside the table")

    def table(self, rows: list[dict[int, str]]) -> None:
        if (found := _chronology_header(rows, loose=self.section == "chronology")) is not None:
            self.chronology_table(rows, *found)
        elif any(_key(row.get(0, "")).startswith("author") for row in rows):
            self.sign_off(rows)
        else:
            lines = [line for row in rows if (line := " | ".join(t for _, t in sorted(row.items()) if t))]
            if self.section == "preamble":  # the form's own tables (case facts, subjects), unless nothing else is
                self.preamble.extend(lines)
            for line in lines if self.section != "preamble" else ():
                self.keep(line, f"table not understood under {short(self.title)!r}")

    def chronology_table(self, rows: list[dict[int, str]], at: int, columns: dict[int, str]) -> None:
        self.tables += 1
        header = rows[at]
        titles = {name: header[col] for col, name in columns.items()}
        for number, row in enumerate(rows):
            named = {name: row.get(col, "") for col, name in columns.items()}
            if number == at or named == titles:  # the header, or a header repeated where tables were joined
                continue
            if number < at:  # a title row the agency put above the header
                self.unread.extend(f"Chronology: {text}" for _, text in sorted(row.items()) if text)
                continue
            if any(named.values()):
                self.add_row(named.get("date", ""), named.get("event", ""), named.get("role", ""),
                             named.get("outcome", ""))
            self.unread.extend(f"Chronology, {header.get(col) or 'extra column'}: {text}"
                               for col, text in sorted(row.items()) if text and col not in columns)

    def add_row(self, date_text: str, event: str, role: str, outcome: str) -> None:
        when = parse_uk_date(date_text) if date_text else None
        if not date_text:
            self.flag(f"chronology row without a date: {short(event or role or outcome)!r}")
        elif when is None:
            self.flag(f"chronology date not understood: {date_text!r}")
        self.rows.append(ChronologyRow(when, date_text, event, role, outcome))

    def sign_off(self, rows: list[dict[int, str]]) -> None:
        """The author's name, and every filled row of the table as a line."""
        self.signed = True
        name_col = next((col for col, t in rows[0].items() if _key(t) == "name"), 1)
        for row in rows[1:]:
            if _key(row.get(0, "")).startswith("author") and not self.author:
                self.author = row.get(name_col, "")
            if values := [t for col, t in sorted(row.items()) if col and t]:
                self.signatures.append(f"{row.get(0) or 'Signed'}: {', '.join(values)}")

    def result(self, agency: str) -> ParsedReturn:
        if not self.seen - {"preamble"}:  # not the form, or laid out anew: keep the tables the walk passed over
            self.unread.extend(self.preamble)
            self.flag("none of the form's section headings found")
        involvement, more = self.involvement()
        text = {key: "\n".join(self.parts.get(key, [])) for key in ("analysis", "lived_experience", "criteria_view")}
        items = {key: tuple(_items(self.parts.get(key, []))) for key in ("good_practice", "learning", "actions")}
        summary = "\n".join(more + self.parts.get("summary", []))
        if involvement is False and (self.rows or summary or any(text.values()) or any(items.values())):
            self.flag("nil return but other sections are filled in")
        if involvement is not False and not self.tables and not self.rows:
            self.flag("no chronology table found")
        elif involvement and not self.rows:
            self.flag("chronology is empty")
        return ParsedReturn(agency, involvement, summary, tuple(self.rows), text["analysis"],
                            text["lived_experience"], items["good_practice"], items["learning"], items["actions"],
                            text["criteria_view"], self.author, tuple(self.unread), tuple(self.flags),
                            tuple(self.signatures))

    def involvement(self) -> tuple[bool | None, list[str]]:
        """The first line answers yes or no; anything after it is summary."""
        lines = [line.strip() for p in self.parts.get("involvement", []) for line in p.splitlines() if line.strip()]
        if not lines:
            self.flag("involvement not answered")
            return None, []
        answer = _INVOLVED.get(" ".join(re.sub(r"[^a-z]+", " ", lines[0].lower()).split()))
        if answer is None:
            self.flag(f"involvement not understood: {short(lines[0])!r}")
            self.unread.extend(f"Involvement: {p}" for p in self.parts["involvement"])
            return None, []
        return answer, lines[1:]


def _chronology_header(rows: list[dict[int, str]], loose: bool) -> tuple[int, dict[int, str]] | None:
    """Where the chronology's header row is (Date and Contact/event columns, any order) and its columns.
    Under the Chronology heading (`loose`) a Date column is enough: the others are taken in the form's order."""
    for at, row in enumerate(rows[:3]):
        columns: dict[int, str] = {}
        for col, text in sorted(row.items()):
            name = next((n for n, pattern in _COLUMNS if n not in columns.values() and re.search(pattern, _key(text))),
                        None)
            if name and len(text) < 40:
                columns[col] = name
        if loose and "date" in columns.values() and "event" not in columns.values():
            spare = [n for n, _ in _COLUMNS if n not in columns.values()]
            columns |= dict(zip([c for c in sorted(row) if c not in columns and row[c]], spare, strict=False))
        if {"date", "event"} <= set(columns.values()):
            return at, columns
    return None


def _items(paragraphs: list[str]) -> Iterator[str]:
    for paragraph in paragraphs:
        for line in paragraph.splitlines():
            if item := _LIST_MARK.sub("", line.strip()).strip():
                yield item
