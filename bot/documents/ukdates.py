"""Reads a date as a UK agency types it (day first, in any of the usual shapes), strictly: a chronology date that
is not a whole, plausible date is None, for a person to look at, never a guess.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from dateutil import parser as dateutil_parser

_MONTHS = {m for name in ("january february march april may june july august september october november december"
                          .split()) for m in (name, name[:3])} | {"sept"}
_DATE_SHAPE = re.compile(r"(\d{1,2}([/.-])\d{1,2}\2(\d{2}|\d{4})|\d{1,2}[ -]?[a-z]+[ ,-]*(\d{2}|\d{4})"
                         r"|[a-z]+ \d{1,2},? \d{4})"  # 3/2/26, 3-Feb-2026, February 3, 2026; then a time
                         r"(,? (at )?\d{1,2}([:.]\d{2}){0,2} ?(am|pm)?)?")
_WEEKDAY = r"(mon|tues?|wed(nes)?|thu(rs?)?|fri|sat(ur)?|sun)(day)?\b[,.]?"


def plain(text: str) -> str:
    """Word's curly quotes, dashes and no-break spaces as plain ASCII, so dates and headings compare as typed."""
    return text.translate(str.maketrans("‘’“”‐‑‒–—\u00a0", "''\"\"----- "))


def parse_uk_date(text: str) -> date | None:
    """03/02/2026, 3/2/26, 3 Feb 2026, 3rd February 2026, 2026-02-03, 'Tuesday 3 February 2026' -> 3 Feb 2026
    (day first); None if not a whole date (day, month and year) or the year is outside 1900..2100."""
    s = " ".join(plain(text).lower().split()).strip(" .,")
    s = re.sub(r"^" + _WEEKDAY + r"\s*", "", s)
    s = re.sub(r"\b(\d{1,2})(st|nd|rd|th)\b", r"\1", s)
    s = re.sub(r"^the\s+", "", re.sub(r"(\d)\s+of\s+", r"\1 ", s))
    if iso := re.fullmatch(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})", s):  # dayfirst would read it as YYYY-DD-MM
        s = f"{iso[4]}/{iso[3]}/{iso[1]}"
    words = re.findall(r"[a-z]+", s)
    if not _DATE_SHAPE.fullmatch(s) or not all(w in _MONTHS or w in ("am", "pm", "at") for w in words):
        return None
    try:  # parsed with two defaults: a part missing from the text shows as a difference
        first, second = (dateutil_parser.parse(s, dayfirst=True, default=datetime(y, y, y)) for y in (1, 2))
    except (ValueError, OverflowError):
        return None
    return first.date() if first.date() == second.date() and 1900 <= first.year <= 2100 else None
