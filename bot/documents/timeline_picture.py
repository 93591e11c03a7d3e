"""A case's statutory timeline as a picture, in two renderings of one layout (`bot.documents.timeline_layout`):
a PNG (Pillow, byte-for-byte deterministic) and a self-contained HTML page (inline SVG from an autoescaping Jinja2
template, no script, no external resources) with a plain table of the same dates for screen readers and for anyone
who needs the words.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from functools import cache

from jinja2 import Environment, StrictUndefined, Template
from PIL import Image, ImageDraw

from bot.documents.timeline_layout import (
    AXIS_COLOUR,
    BACKGROUND,
    CARD_BORDER,
    INK,
    STRIPE,
    SYMBOL_RADIUS,
    TODAY_COLOUR,
    Mark,
    Text,
    drawable,
    font,
    layout,
    long_date,
    png_measure,
    sorted_marks,
    state_of,
    svg_measure,
)


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
    draw.text((t.x, t.y), drawable(t.text), fill=t.colour, font=font(t.size), anchor="ms" if t.anchor == "middle"
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
