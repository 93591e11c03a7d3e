"""Walks a Word document's XML (WordprocessingML) as Word shows it: through content controls, with tracked changes
accepted, headings known by style or outline level. Reading only; what the text means is returns.py's business.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from docx import Document
from lxml import etree

Element = Any  # an lxml element; python-docx's oxml classes are lxml subclasses
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_WRAPPERS = {W + "sdt", W + "sdtContent", W + "customXml"}  # content controls hold paragraphs, rows and cells
_NOT_TEXT = {W + "pPr", W + "rPr", W + "tcPr", W + "del", W + "moveFrom", _FALLBACK}  # deleted text is not an answer
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True)


def open(data: bytes) -> tuple[Element, dict[str, int]]:  # used as wordxml.open, like gzip.open
    """The document's body and its heading levels by paragraph style id."""
    try:
        doc = Document(io.BytesIO(data))
        return doc.element.body, _heading_levels(doc.styles.element)
    except Exception:  # python-docx refuses some readable packages (e.g. a template's content type)
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            root = etree.fromstring(package.read("word/document.xml"), _SAFE_XML)
            styles = package.read("word/styles.xml") if "word/styles.xml" in package.namelist() else None
        body = root.find(W + "body")
        if body is None:
            raise ValueError("no document body") from None
        return body, _heading_levels(etree.fromstring(styles, _SAFE_XML) if styles else None)


def _heading_levels(styles: Element | None) -> dict[str, int]:
    """Paragraph style id -> heading level (0 Title, 1 Heading 1 ...), following styles based on headings."""
    own: dict[str, tuple[int | None, str | None]] = {}
    for style in styles.iter(W + "style") if styles is not None else ():
        name, based, outline = (style.find(f"{W}{tag}") for tag in ("name", "basedOn", "pPr/" + W + "outlineLvl"))
        name_text = (name.get(W + "val", "") if name is not None else "").lower()
        heading = re.fullmatch(r"heading\s*(\d)", name_text)
        level = 0 if name_text == "title" else int(heading[1]) if heading else None
        if level is None and outline is not None and outline.get(W + "val", "9").isdigit():
            level = int(outline.get(W + "val")) + 1 if int(outline.get(W + "val")) < 9 else None
        own[style.get(W + "styleId", "")] = (level, based.get(W + "val") if based is not None else None)
    levels = {}
    for style_id in own:
        current: str | None = style_id
        for _ in range(10):
            level, current = own.get(current or "", (None, None))
            if level is not None:
                levels[style_id] = level
                break
    return levels


def children(el: Element, tag: str) -> Iterator[Element]:
    """The children of `el` with this tag, including those inside content controls."""
    for child in el:
        if child.tag == tag:
            yield child
        elif child.tag in _WRAPPERS:
            yield from children(child, tag)


def blocks(body: Element) -> Iterator[Element]:
    """The body's paragraphs and tables in order, including those inside content controls."""
    for child in body:
        if child.tag in (W + "p", W + "tbl"):
            yield child
        elif child.tag in _WRAPPERS:
            yield from blocks(child)


def text(el: Element) -> str:
    """Text as Word shows it with changes accepted: insertions in, deletions out; paragraphs on new lines."""
    out: list[str] = []
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or tag in _NOT_TEXT:
            continue
        if tag == W + "t":
            out.append(child.text or "")
        elif tag in (W + "tab", W + "br", W + "cr", W + "noBreakHyphen"):
            out.append({W + "tab": "\t", W + "noBreakHyphen": "-"}.get(tag, "\n"))
        else:
            out.append(("\n" if tag in (W + "p", W + "tr") else "") + text(child))
    return "".join(out)


def all_runs(p: Element, prop: str) -> bool:
    """True when every run with visible text is directly formatted bold ('b') or italic ('i')."""
    runs = [r for r in p.iter(W + "r") if text(r).strip()]
    for r in runs:
        found = r.find(f"{W}rPr/{W}{prop}")
        if found is None or found.get(W + "val", "true").lower() in ("0", "false", "off", "none"):
            return False
    return bool(runs)


def level(p: Element, levels: dict[str, int]) -> int | None:
    """The paragraph's heading level, by its own outline level or its style's; None for body text."""
    outline = p.find(f"{W}pPr/{W}outlineLvl")
    if outline is not None and outline.get(W + "val", "9").isdigit() and int(outline.get(W + "val")) < 9:
        return int(outline.get(W + "val")) + 1
    style = p.find(f"{W}pPr/{W}pStyle")
    return levels.get(style.get(W + "val", "")) if style is not None else None


def cells(tr: Element) -> dict[int, str]:
    """Grid column -> text of the cell that starts there (merged cells count once)."""
    before = tr.find(f"{W}trPr/{W}gridBefore")
    col = int(before.get(W + "val", "0")) if before is not None else 0
    found = {}
    for tc in children(tr, W + "tc"):
        found[col] = text(tc).strip()
        span = tc.find(f"{W}tcPr/{W}gridSpan")
        col += max(1, int(span.get(W + "val", "1"))) if span is not None else 1
    return found
