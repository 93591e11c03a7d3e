"""Where everything goes on a case's timeline picture, in pixels: a horizontal date axis with month ticks, each
deadline or milestone as a symbol coloured by its red/amber/green state, its label and date in a card staggered
above or below the axis so no two cards overlap, a vertical line for today, a legend and a title. Text is measured
with Pillow's built-in scalable font (no system fonts). Drawn by `bot.documents.timeline_picture`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from PIL import ImageFont

RAG_COLOURS = {"red": "#c0392b", "amber": "#e67e22", "green": "#27ae60", "done": "#7f8c8d", "none": "#95a5a6"}
TODAY_COLOUR = "#2471a3"
INK = "#2c3e50"
MUTED = "#5d6d7e"
AXIS_COLOUR = "#34495e"
CARD_BORDER = "#d5dbdb"
BACKGROUND = "#ffffff"

KINDS = ("deadline", "milestone")
_STATES = {"red": "overdue", "amber": "due soon", "green": "on track", "done": "met", "none": "keep until"}
_LEGEND_ORDER = ("overdue", "due soon", "on track", "met", "happened", "keep until")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

TITLE_SIZE, LABEL_SIZE, DETAIL_SIZE, SMALL_SIZE, LEGEND_SIZE, TICK_SIZE = 20, 14, 12, 11, 13, 12
MARGIN = 40  # the axis's distance from the image's sides
EDGE = 8  # the closest a card or text comes to the image's sides
PAD, STRIPE = 6, 4  # a card's inner padding and the width of its coloured left stripe
CARD_GAP = 10  # horizontal space between two cards in one row
ROW_GAP = 8
SYMBOL_RADIUS = 7
LEADER_GAP = 16  # between the axis and the nearest row of cards
MIN_WIDTH = 400

Measure = Callable[[str, int], float]


@dataclass(frozen=True)
class Mark:
    label: str
    due: date
    done_on: date | None
    rag: str
    kind: str = "deadline"
    strength: str = ""


@dataclass(frozen=True)
class Text:
    x: int
    y: int  # the baseline
    text: str
    size: int
    colour: str
    anchor: str = "start"  # "start" or "middle", as in SVG


@dataclass(frozen=True)
class Box:
    x0: int
    y0: int
    x1: int
    y1: int

    def overlaps(self, other: Box) -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1


@dataclass(frozen=True)
class Tick:
    x: int
    label: Text | None


@dataclass(frozen=True)
class LegendItem:
    symbol: str  # "dot", "ring", "diamond" or "line" (today)
    colour: str
    x: int  # the symbol's centre
    y: int
    text: Text


@dataclass(frozen=True)
class PlacedMark:
    mark: Mark
    x: int
    symbol: str
    colour: str
    state: str
    side: str  # "above" or "below" the axis
    row: int  # 0 is nearest the axis
    box: Box
    lines: tuple[Text, ...]
    leader: tuple[int, int]  # from y to y, at x


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    start: date
    end: date
    left: int
    right: int
    axis_y: int
    title: tuple[Text, ...]
    legend: tuple[LegendItem, ...]
    ticks: tuple[Tick, ...]
    today_x: int
    today_top: int
    today_bottom: int
    today_label: Text
    marks: tuple[PlacedMark, ...]
    note: Text | None


def long_date(day: date) -> str:
    """Thu 14 Jan 2027, in English whatever the locale."""
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def short_date(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def state_of(mark: Mark) -> str:
    """The words for a mark's state: overdue, due soon, on track, met, happened or keep until."""
    if mark.rag not in RAG_COLOURS:
        raise ValueError(f"rag must be one of {sorted(RAG_COLOURS)}, not {mark.rag!r}")
    if mark.kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {mark.kind!r}")
    return "happened" if mark.kind == "milestone" else _STATES[mark.rag]


def symbol_of(mark: Mark) -> str:
    """A filled dot for what has happened or been met, a ring for a keep-until date, an open diamond for the rest."""
    if mark.kind == "milestone" or mark.rag == "done" or mark.done_on is not None:
        return "dot"
    return "ring" if mark.rag == "none" else "diamond"


def sorted_marks(marks: Sequence[Mark]) -> list[Mark]:
    return sorted(marks, key=lambda m: (m.due, m.kind != "milestone", m.label))


def date_range(days: Sequence[date]) -> tuple[date, date]:
    """The axis's first and last day: all of `days` with a margin either side (two weeks at least)."""
    first, last = min(days), max(days)
    pad = max(timedelta(days=14), (last - first) / 20)
    return first - timedelta(days=pad.days), last + timedelta(days=pad.days)


def x_for(day: date, start: date, end: date, left: int, right: int) -> int:
    """The x of `day` on an axis drawn from `left` (start) to `right` (end); the middle when start is end."""
    span = (end - start).days
    if span <= 0:
        return (left + right) // 2
    return round(left + (day - start).days * (right - left) / span)


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _ticks(start: date, end: date, left: int, right: int, width: int, label_y: int, measure: Measure) -> list[Tick]:
    """A tick on the first of each month; labels every 1, 2, 3, 6 or 12... months, as many as fit side by side."""
    firsts = [date(i // 12, i % 12 + 1, 1) for i in range(_month_index(start), _month_index(end) + 2)]
    firsts = [d for d in firsts if start <= d <= end]
    days = max((end - start).days, 1)
    per_month = (right - left) * 30.44 / days
    label_width = measure("Sep 2027", TICK_SIZE) + 16
    step = next((s for s in (1, 2, 3, 6, 12, 24, 60, 120) if s * per_month >= label_width), 240)
    ticks = []
    for d in firsts:
        x = x_for(d, start, end, left, right)
        text = f"{_MONTHS[d.month - 1]} {d.year}"
        half = measure(text, TICK_SIZE) / 2
        labelled = _month_index(d) % step == 0 and x - half >= EDGE and x + half <= width - EDGE
        if labelled or per_month >= 4:
            ticks.append(Tick(x, Text(x, label_y, text, TICK_SIZE, MUTED, "middle") if labelled else None))
    return ticks


def _ellipsize(text: str, size: int, max_width: float, measure: Measure, *, force: bool = False) -> str:
    if not force and measure(text, size) <= max_width:
        return text
    while text and measure(text.rstrip() + "…", size) > max_width:
        text = text[:-1]
    return text.rstrip() + "…"


def wrap(text: str, size: int, max_width: float, max_lines: int, measure: Measure) -> list[str]:
    """`text` in lines no wider than `max_width`, broken between words; what does not fit ends in an ellipsis."""
    lines: list[str] = []
    for word in text.split():
        if lines and measure(f"{lines[-1]} {word}", size) <= max_width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    if len(lines) > max_lines:
        last = " ".join(lines[max_lines - 1:])
        lines = lines[:max_lines - 1] + [_ellipsize(last, size, max_width, measure, force=True)]
    return [_ellipsize(line, size, max_width, measure) for line in lines]


def _line_height(size: int) -> int:
    return size + 4


@dataclass(frozen=True)
class _Card:
    mark: Mark
    x: int
    x0: int
    width: int
    height: int
    lines: tuple[tuple[str, int, str], ...]  # text, size, colour


def _card(mark: Mark, x: int, width: int, measure: Measure) -> _Card:
    inner = min(240, (width - 2 * EDGE) // 2) - 2 * PAD - STRIPE
    state = state_of(mark)
    if mark.done_on is not None and mark.kind == "deadline":
        detail = f"{long_date(mark.due)} · met {short_date(mark.done_on)}"
    elif mark.kind == "milestone":
        detail = long_date(mark.due)
    else:
        detail = f"{long_date(mark.due)} · {state}"
    lines = [(t, LABEL_SIZE, INK) for t in wrap(mark.label, LABEL_SIZE, inner, 3, measure)]
    lines += [(t, DETAIL_SIZE, MUTED) for t in wrap(detail, DETAIL_SIZE, inner, 2, measure)]
    lines += [(t, SMALL_SIZE, MUTED) for t in wrap(mark.strength, SMALL_SIZE, inner, 1, measure)]
    card_width = round(max(measure(t, s) for t, s, _ in lines)) + 2 * PAD + STRIPE
    x0 = min(max(x - card_width // 2, EDGE), width - EDGE - card_width)
    height = 2 * PAD + sum(_line_height(s) for _, s, _ in lines)
    return _Card(mark, x, x0, card_width, height, tuple(lines))


def assign_rows(extents: Sequence[tuple[int, int]], gap: int = CARD_GAP) -> list[tuple[str, int]]:
    """Greedily, in order, the first of above 0, below 0, above 1, below 1... whose cards do not overlap
    `extents[i]` (x0, x1) widened by `gap`; returns (side, row) for each."""
    taken: dict[tuple[str, int], list[tuple[int, int]]] = {}
    slots = []
    for x0, x1 in extents:
        row = 0
        while True:
            slot = next((s for s in (("above", row), ("below", row))
                         if all(x1 + gap <= a or b + gap <= x0 for a, b in taken.get(s, []))), None)
            if slot is not None:
                break
            row += 1
        taken.setdefault(slot, []).append((x0, x1))
        slots.append(slot)
    return slots


def _legend(marks: Sequence[Mark], today: date, top: int, width: int, measure: Measure) -> tuple[list[LegendItem], int]:
    """The legend's items, only for states the picture shows, then today; and the y below it."""
    seen: dict[str, tuple[str, str]] = {}
    for m in marks:
        seen.setdefault(state_of(m), (symbol_of(m), RAG_COLOURS[m.rag]))
    entries = [(seen[s][0], seen[s][1], s) for s in _LEGEND_ORDER if s in seen]
    entries.append(("line", TODAY_COLOUR, f"today {short_date(today)}"))
    items, x, y = [], EDGE + 8, top
    for symbol, colour, words in entries:
        item_width = 20 + round(measure(words, LEGEND_SIZE))
        if x + item_width > width - EDGE and x > EDGE + 8:
            x, y = EDGE + 8, y + 20
        items.append(LegendItem(symbol, colour, x + 6, y + 10, Text(x + 18, y + 14, words, LEGEND_SIZE, INK)))
        x += item_width + 18
    return items, y + 20


def layout(title: str, marks: Sequence[Mark], today: date, *, width: int = 1200,
           measure: Measure | None = None) -> Layout:
    """Where everything goes, in pixels; `measure(text, size)` is a text's width (Pillow's font by default)."""
    if width < MIN_WIDTH:
        raise ValueError(f"width must be at least {MIN_WIDTH} pixels")
    measure = measure or png_measure
    ordered = sorted_marks(marks)
    start, end = date_range([today, *(m.due for m in ordered)])
    left, right = MARGIN, width - MARGIN

    y = 12
    title_lines = []
    for line in wrap(title, TITLE_SIZE, width - 2 * EDGE - 8, 2, measure) or [""]:
        title_lines.append(Text(EDGE + 8, y + TITLE_SIZE, line, TITLE_SIZE, INK))
        y += _line_height(TITLE_SIZE) + 2
    legend, y = _legend(ordered, today, y + 6, width, measure)
    y += 8
    today_x = x_for(today, start, end, left, right)
    today_words = f"today {short_date(today)}"
    half = round(measure(today_words, LEGEND_SIZE) / 2)
    today_label = Text(min(max(today_x, EDGE + half), width - EDGE - half), y + 14, today_words, LEGEND_SIZE,
                       TODAY_COLOUR, "middle")
    today_top = y + 18
    y += 22

    cards = [_card(m, x_for(m.due, start, end, left, right), width, measure) for m in ordered]
    slots = assign_rows([(c.x0, c.x0 + c.width) for c in cards])
    rows_above = max((r + 1 for side, r in slots if side == "above"), default=0)
    rows_below = max((r + 1 for side, r in slots if side == "below"), default=0)
    row_height = max((c.height for c in cards), default=0) + ROW_GAP
    axis_y = y + (rows_above * row_height if rows_above else 30) + LEADER_GAP
    below_top = axis_y + 30
    height = below_top + rows_below * row_height + (12 if rows_below else 4)

    placed = []
    for card, (side, row) in zip(cards, slots, strict=True):
        if side == "above":
            y1 = axis_y - LEADER_GAP - row * row_height
            box = Box(card.x0, y1 - card.height, card.x0 + card.width, y1)
            leader = (axis_y - SYMBOL_RADIUS - 2, box.y1)
        else:
            y0 = below_top + row * row_height
            box = Box(card.x0, y0, card.x0 + card.width, y0 + card.height)
            leader = (axis_y + SYMBOL_RADIUS + 2, box.y0)
        texts, line_top = [], box.y0 + PAD
        for text, size, colour in card.lines:
            texts.append(Text(box.x0 + STRIPE + PAD, line_top + size, text, size, colour))
            line_top += _line_height(size)
        placed.append(PlacedMark(card.mark, card.x, symbol_of(card.mark), RAG_COLOURS[card.mark.rag],
                                 state_of(card.mark), side, row, box, tuple(texts), leader))

    ticks = _ticks(start, end, left, right, width, axis_y + 20, measure)
    note = None if ordered else Text(left + (right - left) // 4, axis_y - LEADER_GAP - 4, "no deadlines yet",
                                     LABEL_SIZE, MUTED, "middle")
    return Layout(width, height, start, end, left, right, axis_y, tuple(title_lines), tuple(legend), tuple(ticks),
                  today_x, today_top, height - 8, today_label, tuple(placed), note)


@cache
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


@cache
def _has_glyph(char: str) -> bool:
    face = font(LABEL_SIZE)

    def shape(c: str) -> tuple[float, tuple[int, int], bytes]:
        mask = face.getmask(c)
        return face.getlength(c), mask.size, bytes(mask)

    return char == " " or shape(char) != shape("\uffff")


def drawable(text: str) -> str:
    """`text` in the characters Pillow's built-in font has: accents dropped, dashes and odd spaces made plain,
    anything else a question mark."""
    text = text.translate(str.maketrans("‐‑‒–—―\u00a0\u2009\u202f", "------   "))
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return "".join(c if _has_glyph(c) else "?" for c in text)


def png_measure(text: str, size: int) -> float:
    return float(font(size).getlength(drawable(text)))


def svg_measure(text: str, size: int) -> float:
    """A browser's sans-serif is usually a little wider than Pillow's font: room to spare."""
    return png_measure(text, size) * 1.15
