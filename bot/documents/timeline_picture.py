"""A case's statutory timeline as a picture: a horizontal date axis with month ticks, each deadline or milestone as a
symbol coloured by its red/amber/green state, its label and date in a card staggered above or below the axis so no two
cards overlap, a vertical line for today, a legend and a title.

Two renderings of one layout: a PNG (Pillow, its built-in scalable font, no system fonts, byte-for-byte
deterministic) and a self-contained HTML page (inline SVG from an autoescaping Jinja2 template, no script, no
external resources) with a plain table of the same dates for screen readers and for anyone who needs the words.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from jinja2 import Environment, StrictUndefined, Template
from PIL import Image, ImageDraw, ImageFont

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
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


@cache
def _has_glyph(char: str) -> bool:
    font = _font(LABEL_SIZE)

    def shape(c: str) -> tuple[float, tuple[int, int], bytes]:
        mask = font.getmask(c)
        return font.getlength(c), mask.size, bytes(mask)

    return char == " " or shape(char) != shape("\uffff")


def drawable(text: str) -> str:
    """`text` in the characters Pillow's built-in font has: accents dropped, dashes and odd spaces made plain,
    anything else a question mark."""
    text = text.translate(str.maketrans("‐‑‒–—―\u00a0\u2009\u202f", "------   "))
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return "".join(c if _has_glyph(c) else "?" for c in text)


def png_measure(text: str, size: int) -> float:
    return float(_font(size).getlength(drawable(text)))


def svg_measure(text: str, size: int) -> float:
    """A browser's sans-serif is usually a little wider than Pillow's font: room to spare."""
    return png_measure(text, size) * 1.15


def _diamond(x: int, y: int, r: int) -> list[tuple[int, int]]:
    return [(x, y - r - 1), (x + r + 1, y), (x, y + r + 1), (x - r - 1, y)]


def _draw_symbol(draw: ImageDraw.ImageDraw, symbol: str, colour: str, x: int, y: int, r: int) -> None:
    if symbol == "dot":
        draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
    elif symbol == "ring":
        draw.ellipse([x - r, y - r, x + r, y + r], fill=BACKGROUND, outline=colour, width=2)
    elif symbol == "diamond":
        draw.polygon(_diamond(x, y, r), fill=BACKGROUND, outline=colour, width=2)
    else:
        draw.rectangle([x - 1, y - r, x, y + r], fill=colour)


def _draw_text(draw: ImageDraw.ImageDraw, t: Text) -> None:
    draw.text((t.x, t.y), drawable(t.text), fill=t.colour, font=_font(t.size), anchor="ms" if t.anchor == "middle"
              else "ls")


def render_png(title: str, marks: Sequence[Mark], today: date, *, width: int = 1200) -> bytes:
    """The timeline as PNG bytes; the same arguments give the same bytes."""
    lay = layout(title, marks, today, width=width, measure=png_measure)
    img = Image.new("RGB", (lay.width, lay.height), BACKGROUND)
    draw = ImageDraw.Draw(img)
    for t in lay.title:
        _draw_text(draw, t)
    for item in lay.legend:
        _draw_symbol(draw, item.symbol, item.colour, item.x, item.y, 6)
        _draw_text(draw, item.text)
    draw.rectangle([lay.today_x - 1, lay.today_top, lay.today_x, lay.today_bottom], fill=TODAY_COLOUR)
    _draw_text(draw, lay.today_label)
    draw.line([(lay.left - 12, lay.axis_y), (lay.right + 12, lay.axis_y)], fill=AXIS_COLOUR, width=2)
    for tick in lay.ticks:
        draw.line([(tick.x, lay.axis_y), (tick.x, lay.axis_y + (6 if tick.label else 3))], fill=AXIS_COLOUR)
        if tick.label:
            _draw_text(draw, tick.label)
    for p in lay.marks:
        draw.line([(p.x, p.leader[0]), (p.x, p.leader[1])], fill=p.colour)
    for p in lay.marks:
        draw.rectangle([p.box.x0, p.box.y0, p.box.x1, p.box.y1], fill=BACKGROUND, outline=CARD_BORDER)
        draw.rectangle([p.box.x0, p.box.y0, p.box.x0 + STRIPE - 1, p.box.y1], fill=p.colour)
        for t in p.lines:
            _draw_text(draw, t)
    for p in lay.marks:
        _draw_symbol(draw, p.symbol, p.colour, p.x, lay.axis_y, SYMBOL_RADIUS)
    if lay.note:
        _draw_text(draw, lay.note)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


_HTML = """\
{%- macro symbol(kind, colour, x, y, r) -%}
{%- if kind == "dot" -%}
<circle cx="{{ x }}" cy="{{ y }}" r="{{ r }}" fill="{{ colour }}"/>
{%- elif kind == "ring" -%}
<circle cx="{{ x }}" cy="{{ y }}" r="{{ r }}" fill="#fff" stroke="{{ colour }}" stroke-width="2"/>
{%- elif kind == "diamond" -%}
<polygon points="{{ diamond(x, y, r) }}" fill="#fff" stroke="{{ colour }}" stroke-width="2"/>
{%- else -%}
<rect x="{{ x - 1 }}" y="{{ y - r }}" width="2" height="{{ 2 * r }}" fill="{{ colour }}"/>
{%- endif -%}
{%- endmacro -%}
{%- macro text(t) -%}
<text x="{{ t.x }}" y="{{ t.y }}" font-size="{{ t.size }}" fill="{{ t.colour }}" text-anchor="{{ t.anchor }}">
{{- t.text }}</text>
{%- endmacro -%}
<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: Aileron, Helvetica, Arial, sans-serif; color: {{ ink }}; margin: 1.5rem; }
svg { max-width: 100%; height: auto; font-family: Aileron, Helvetica, Arial, sans-serif; }
table { border-collapse: collapse; margin-top: 1.5rem; }
caption { text-align: left; font-weight: bold; padding-bottom: .5rem; }
th, td { text-align: left; padding: .3rem .8rem; border-bottom: 1px solid {{ border }}; vertical-align: top; }
</style>
</head>
<body>
<svg xmlns="http://www.w3.org/2000/svg" width="{{ lay.width }}" height="{{ lay.height }}" \
viewBox="0 0 {{ lay.width }} {{ lay.height }}" role="img" aria-labelledby="timeline-title timeline-desc">
<title id="timeline-title">{{ title }}</title>
<desc id="timeline-desc">{{ description }}</desc>
<rect width="{{ lay.width }}" height="{{ lay.height }}" fill="#fff"/>
{% for t in lay.title %}{{ text(t) }}
{% endfor -%}
{% for item in lay.legend %}{{ symbol(item.symbol, item.colour, item.x, item.y, 6) }}{{ text(item.text) }}
{% endfor -%}
<rect x="{{ lay.today_x - 1 }}" y="{{ lay.today_top }}" width="2" height="{{ lay.today_bottom - lay.today_top }}" \
fill="{{ today_colour }}"/>
{{ text(lay.today_label) }}
<line x1="{{ lay.left - 12 }}" y1="{{ lay.axis_y }}" x2="{{ lay.right + 12 }}" y2="{{ lay.axis_y }}" \
stroke="{{ axis }}" stroke-width="2"/>
{% for tick in lay.ticks %}<line x1="{{ tick.x }}" y1="{{ lay.axis_y }}" x2="{{ tick.x }}" \
y2="{{ lay.axis_y + (6 if tick.label else 3) }}" stroke="{{ axis }}"/>
{%- if tick.label %}{{ text(tick.label) }}{% endif %}
{% endfor -%}
{% for p in lay.marks %}<line x1="{{ p.x }}" y1="{{ p.leader[0] }}" x2="{{ p.x }}" y2="{{ p.leader[1] }}" \
stroke="{{ p.colour }}"/>
{% endfor -%}
{% for p in lay.marks %}<g>
<rect x="{{ p.box.x0 + 0.5 }}" y="{{ p.box.y0 + 0.5 }}" width="{{ p.box.x1 - p.box.x0 }}" \
height="{{ p.box.y1 - p.box.y0 }}" fill="#fff" stroke="{{ border }}"/>
<rect x="{{ p.box.x0 }}" y="{{ p.box.y0 }}" width="{{ stripe }}" height="{{ p.box.y1 - p.box.y0 + 1 }}" \
fill="{{ p.colour }}"/>
{% for t in p.lines %}{{ text(t) }}
{% endfor -%}
</g>
{% endfor -%}
{% for p in lay.marks %}{{ symbol(p.symbol, p.colour, p.x, lay.axis_y, radius) }}
{% endfor -%}
{% if lay.note %}{{ text(lay.note) }}
{% endif -%}
</svg>
<table>
<caption>{{ title }}: the dates, earliest first (today is {{ today }})</caption>
<thead><tr><th scope="col">What</th><th scope="col">Date</th><th scope="col">State</th><th scope="col">Strength</th>\
<th scope="col">Met on</th></tr></thead>
<tbody>
{% for row in rows %}<tr><td>{{ row.label }}</td><td>{{ row.date }}</td><td>{{ row.state }}</td>\
<td>{{ row.strength }}</td><td>{{ row.met_on }}</td></tr>
{% else %}<tr><td colspan="5">No deadlines yet.</td></tr>
{% endfor -%}
</tbody>
</table>
</body>
</html>
"""


@cache
def _template() -> Template:
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=False, keep_trailing_newline=True)
    env.globals["diamond"] = lambda x, y, r: " ".join(f"{px},{py}" for px, py in _diamond(x, y, r))
    return env.from_string(_HTML)


def table_rows(marks: Sequence[Mark]) -> list[dict[str, str]]:
    """The table's rows, earliest first: label, date, state, strength, met on."""
    rows = []
    for m in sorted_marks(marks):
        if m.done_on is not None:
            met_on = long_date(m.done_on)
        else:
            met_on = "not yet" if m.kind == "deadline" and m.rag in ("red", "amber", "green") else "-"
        rows.append({"label": m.label, "date": long_date(m.due), "state": state_of(m),
                     "strength": m.strength or "-", "met_on": met_on})
    return rows


def render_html(title: str, marks: Sequence[Mark], today: date) -> str:
    """A self-contained page: the timeline as inline SVG, then the same dates as a table."""
    lay = layout(title, marks, today, measure=svg_measure)
    count = len(marks)
    description = (f"A timeline of {count} date{'' if count == 1 else 's'} from {long_date(lay.start)} to "
                   f"{long_date(lay.end)}; today is {long_date(today)}. The table below lists them.")
    return _template().render(
        title=title, lay=lay, rows=table_rows(marks), today=long_date(today), description=description, ink=INK,
        border=CARD_BORDER, axis=AXIS_COLOUR, today_colour=TODAY_COLOUR, stripe=STRIPE, radius=SYMBOL_RADIUS)
