"""What an Office Open XML package says about itself: each part's content type, where its relationships point, and
whether an XML part declares a DOCTYPE. It only reads and reports; safety.py decides what to refuse.
"""

from __future__ import annotations

import posixpath
from typing import Any

from lxml import etree

WML_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
CONTENT_TYPES = "[Content_Types].xml"
PACKAGE_RELS = "_rels/.rels"
OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"

_SNIFF = 4096  # the first bytes of every XML part are searched for "<!DOCTYPE" in any letter case


class _RootReached(Exception):
    pass


class Prolog:
    """Feeds an XML part to lxml only as far as its root element, to see whether it declares a DOCTYPE. lxml
    decodes what python-docx's lxml would (UTF-16, long comments first), which a plain byte search would miss.
    It reports, not refuses: a syntax error before the root is raised as lxml's own, unless a DOCTYPE came first."""

    def __init__(self) -> None:
        self._head = b""
        self.reached_root = False  # nothing after the root element can declare a DOCTYPE
        self.declares_doctype = False
        self._parser = etree.XMLParser(target=self, resolve_entities=False, no_network=True, load_dtd=False,
                                       huge_tree=False)

    def feed(self, chunk: bytes) -> None:
        if len(self._head) < _SNIFF:
            self._head += chunk[: _SNIFF - len(self._head)]
            if b"<!doctype" in self._head.lower():
                self.declares_doctype = True
                return
        if not self.reached_root:
            self._step(self._parser.feed, chunk)

    def finish(self) -> None:
        """The part has ended: `reached_root` False now means it is not a whole XML document."""
        if not self.reached_root:
            self._step(self._parser.close)

    def _step(self, call: Any, *args: bytes) -> None:
        try:
            call(*args)
        except _RootReached:
            self.reached_root = True
        except etree.XMLSyntaxError:
            if not self.declares_doctype:
                raise

    # lxml parser-target callbacks
    def doctype(self, *_: object) -> None:
        self.declares_doctype = True

    def start(self, *_: object) -> None:
        raise _RootReached

    def close(self) -> None:
        return None


class ContentTypes:
    """[Content_Types].xml: the type of each part, by override for its name or default for its extension."""

    def __init__(self, body: bytes) -> None:
        self.defaults: dict[str, str] = {}
        self.overrides: dict[str, str] = {}
        for element in _parse(body).iter():
            kind, attrs = etree.QName(element).localname, element.attrib
            if kind == "Default":
                self.defaults[attrs.get("Extension", "").lower()] = attrs.get("ContentType", "")
            elif kind == "Override":
                self.overrides[attrs.get("PartName", "").lower()] = attrs.get("ContentType", "")

    def of(self, name: str) -> str:
        override = self.overrides.get("/" + name.lower())
        return override if override is not None else self.defaults.get(posixpath.splitext(name)[1][1:].lower(), "")

    def declared(self) -> list[str]:
        """Every content type the package declares, defaults first."""
        return [*self.defaults.values(), *self.overrides.values()]


def _parse(body: bytes) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    return etree.fromstring(body, parser)


def relationships(body: bytes) -> list[tuple[str, str, str]]:
    """(type, target, target mode) of each relationship in a .rels part."""
    return [(element.get("Type", ""), element.get("Target", ""), element.get("TargetMode", ""))
            for element in _parse(body).iter() if etree.QName(element).localname == "Relationship"]


def target_part(rels_name: str, target: str) -> str:
    """The zip name a relationship in `rels_name` (word/_rels/document.xml.rels) points to, as python-docx
    resolves it: relative to the source part's folder (word/), or to the root for _rels/.rels."""
    base = "/" + posixpath.dirname(posixpath.dirname(rels_name))
    return posixpath.normpath(posixpath.join(base, target)).lstrip("/")


def office_document(found: list[tuple[str, str, str]]) -> str | None:
    """The zip name of the package's main part; python-docx knows only the transitional relationship type."""
    for rel_type, target, mode in found:
        if rel_type == OFFICE_DOCUMENT and mode != "External":
            return target_part(PACKAGE_RELS, target)
    return None
