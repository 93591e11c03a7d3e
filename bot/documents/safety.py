"""Refuses a returned Word form that could harm the bot or a reader, before anything parses it: python-docx reads
every part whole with no zip-bomb guard, and Word would run macros, objects and remote templates
(reliability-security.md section 3.2, AT-2 to AT-5 and AT-7)."""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

from lxml import etree

WML_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_MAGIC = b"PK\x03\x04"
_CENTRAL_ENTRY = b"PK\x01\x02"
CONTENT_TYPES = "[Content_Types].xml"
PACKAGE_RELS = "_rels/.rels"
OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"

_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_CHUNK = 64 * 1024
_SNIFF = 4096  # the first bytes of every XML part are searched for "<!DOCTYPE" in any letter case
_MAX_PARSED_XML = 4 * 1024 * 1024  # [Content_Types].xml and *.rels are parsed whole; Word's are a few KB
# What the OSS-Fuzz python-docx harness expects from corrupt input (reference section 3.2), minus our own.
_BROKEN = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
           OSError, ValueError, KeyError, IndexError, struct.error, OverflowError, etree.LxmlError)

_AGAIN = "ask the agency to save it as a plain Word document (.docx) and send it again."
_REASONS = {
    "too_large": "The file is larger than the bot accepts; ask the agency to send a smaller copy (fewer or smaller "
                 "pictures).",
    "encrypted": "The document is password-protected; ask the agency to send an unprotected copy.",
    "old_office": "The file is an older Word (.doc) or other Office format, not a .docx; " + _AGAIN,
    "not_docx": "The file is not a Word document (.docx); " + _AGAIN,
    "damaged": "The file is damaged or incomplete; ask the agency to send it again.",
    "too_many_parts": "The document has too many internal parts to check safely; " + _AGAIN,
    "zip_bomb": "The document expands to far more data than its size suggests (a zip bomb), so it was not opened; "
                + _AGAIN,
    "unsafe_name": "The document contains a part with an unsafe name (a path outside the document); " + _AGAIN,
    "macro": "The document contains macros, which can run code; " + _AGAIN,
    "ole_object": "The document contains an embedded object or ActiveX control, which can run code; ask the agency "
                  "to remove it (or paste it as a picture) and send it again.",
    "doctype": "The document contains a DOCTYPE declaration, which Word documents never need and attackers use to "
               "read files; " + _AGAIN,
}
_MACRO_EXTENSIONS = (".docm", ".dotm", ".xlsm", ".xltm", ".xlam", ".xlsb", ".pptm", ".potm", ".ppsm", ".ppam")
_EXTERNAL = {"attachedTemplate": "an attached template", "oleObject": "a linked object", "frame": "a linked frame",
             "subDocument": "a linked sub-document"}


class UnsafeDocument(ValueError):
    """Why a document was refused; `reason` is a short sentence a business team member can act on."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:  # survives pickling, e.g. back from a parsing subprocess (AT-6)
        return (type(self), (self.code, self.reason))


def _refuse(code: str) -> UnsafeDocument:
    return UnsafeDocument("not_docx" if code == "old_office" else code, _REASONS[code])


@dataclass(frozen=True)
class Limits:
    """What a returned form may cost to check and open; ratios are uncompressed / compressed."""

    max_bytes: int = 20 * 1024 * 1024  # the attachment itself
    max_members: int = 2000
    max_uncompressed: int = 100 * 1024 * 1024
    max_ratio: float = 100.0  # per member and overall


DEFAULT_LIMITS = Limits()


def check_docx(data: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise UnsafeDocument unless `data` is a plain .docx that is safe to open with python-docx."""
    if len(data) > limits.max_bytes:
        raise _refuse("too_large")
    if data.startswith(CFB_MAGIC):  # Word's password protection wraps the package in an OLE2 container
        raise _refuse("encrypted" if _ENCRYPTED_PACKAGE in data else "old_office")
    if not data.startswith(ZIP_MAGIC):
        raise _refuse("not_docx")
    # zipfile builds an object per directory entry before we can count them (20 MB of entries cost ~100 MB);
    # every entry starts with this signature, so the count bounds them without parsing anything.
    if data.count(_CENTRAL_ENTRY) > limits.max_members:
        raise _refuse("too_many_parts")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            _check_package(zf, len(data), limits)
    except UnsafeDocument:
        raise
    except _BROKEN as exc:
        raise _refuse("damaged") from exc


def is_docx_bytes(data: bytes) -> bool:
    """Whether `data` is a zip whose main part is a Word document (AT-2); says nothing about safety."""
    if not data.startswith(ZIP_MAGIC):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            reader = _Reader(zf, DEFAULT_LIMITS)
            types = _ContentTypes(reader.read(zf.getinfo(CONTENT_TYPES), xml=True, keep=True))
            target = _office_document(_relationships(reader.read(zf.getinfo(PACKAGE_RELS), xml=True, keep=True)))
            return target is not None and types.of(target) == WML_MAIN
    except (UnsafeDocument, *_BROKEN):
        return False


def _check_package(zf: zipfile.ZipFile, size: int, limits: Limits) -> None:
    infos = zf.infolist()
    _check_sizes(infos, size, limits)
    for info in infos:
        _check_name(info)
    reader = _Reader(zf, limits)
    if CONTENT_TYPES not in zf.namelist():
        raise _refuse("not_docx")
    types = _ContentTypes(reader.read(zf.getinfo(CONTENT_TYPES), xml=True, keep=True))
    types.check()
    main, names = None, set(zf.namelist())
    for info in infos:  # every member, so a bad CRC anywhere is found here and not inside python-docx
        name = info.filename
        if name == CONTENT_TYPES:
            continue
        is_rels = name.lower().endswith(".rels")
        is_xml = is_rels or name.lower().endswith(".xml") or types.of(name).endswith("xml")
        body = reader.read(info, xml=is_xml, keep=is_rels)
        if is_rels:
            relationships = _relationships(body)
            _check_external(relationships)
            _check_internal(name, relationships, names, types)
            main = _office_document(relationships) if name == PACKAGE_RELS else main
    if main is None or types.of(main) != WML_MAIN:
        raise _refuse("not_docx")


def _check_sizes(infos: list[zipfile.ZipInfo], size: int, limits: Limits) -> None:
    declared = sum(info.file_size for info in infos)
    compressed = sum(info.compress_size for info in infos)
    if declared > limits.max_uncompressed or _ratio(declared, compressed) > limits.max_ratio:
        raise _refuse("zip_bomb")
    if compressed > size:  # members overlap: the same compressed bytes are counted, and inflated, many times
        raise _refuse("zip_bomb")
    for info in infos:
        if _ratio(info.file_size, info.compress_size) > limits.max_ratio:
            raise _refuse("zip_bomb")
        if info.flag_bits & 0x1:
            raise _refuse("encrypted")
    lowered = [info.filename.lower() for info in infos]
    if len(set(lowered)) != len(lowered):  # part names are case-insensitive; the checker and Word might differ
        raise _refuse("damaged")


def _ratio(uncompressed: int, compressed: int) -> float:
    return uncompressed / max(compressed, 1)


def _check_name(info: zipfile.ZipInfo) -> None:
    name = info.filename.lower()
    parts = name.split("/")
    is_symlink = (info.external_attr >> 16) & 0o170000 == 0o120000
    if name.startswith("/") or "\\" in name or ":" in parts[0] or ".." in parts or is_symlink:
        raise _refuse("unsafe_name")
    base, folders = parts[-1], parts[:-1]
    if base.startswith("vbaproject") or base == "vbadata.xml":
        raise _refuse("macro")
    if "activex" in folders:
        raise _refuse("ole_object")
    if "embeddings" in folders:
        if base.endswith(".bin") or "ole" in base:
            raise _refuse("ole_object")
        if base.endswith(_MACRO_EXTENSIONS):  # a macro-enabled Office file embedded in this one
            raise _refuse("macro")


class _Reader:
    """Streams members in chunks (zipfile checks each CRC at the end), stopping at the declared size or the
    package's total so a bomb never inflates in memory, and checks each XML part's prolog for a DOCTYPE."""

    def __init__(self, zf: zipfile.ZipFile, limits: Limits) -> None:
        self._zf = zf
        self._budget = limits.max_uncompressed

    def read(self, info: zipfile.ZipInfo, *, xml: bool, keep: bool) -> bytes:
        kept, size, prolog = bytearray(), 0, _Prolog() if xml else None
        with self._zf.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                self._budget -= len(chunk)
                if size > info.file_size or self._budget < 0:
                    raise _refuse("zip_bomb")
                if prolog:
                    prolog.feed(chunk)
                if keep:
                    if size > _MAX_PARSED_XML:
                        raise _refuse("too_large")
                    kept += chunk
        if prolog:
            prolog.finish()
        return bytes(kept)


class _RootReached(Exception):
    pass


class _Prolog:
    """Feeds an XML part to lxml only as far as its root element, to see whether it declares a DOCTYPE. lxml
    decodes what python-docx's lxml would (UTF-16, long comments first), which a plain byte search would miss."""

    def __init__(self) -> None:
        self._head = b""
        self._done = False
        self._doctype = False
        self._parser = etree.XMLParser(target=self, resolve_entities=False, no_network=True, load_dtd=False,
                                       huge_tree=False)

    def feed(self, chunk: bytes) -> None:
        if len(self._head) < _SNIFF:
            self._head += chunk[: _SNIFF - len(self._head)]
            if b"<!doctype" in self._head.lower():
                raise _refuse("doctype")
        if not self._done:
            self._step(self._parser.feed, chunk)

    def finish(self) -> None:
        if not self._done:
            self._step(self._parser.close)
        if not self._done:
            raise _refuse("damaged")

    def _step(self, call: Any, *args: bytes) -> None:
        try:
            call(*args)
        except _RootReached:
            self._done = True
        except etree.XMLSyntaxError as exc:
            if not self._doctype:
                raise _refuse("damaged") from exc
        if self._doctype:
            raise _refuse("doctype")

    # lxml parser-target callbacks
    def doctype(self, *_: object) -> None:
        self._doctype = True

    def start(self, *_: object) -> None:
        raise _RootReached

    def close(self) -> None:
        return None


class _ContentTypes:
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

    def check(self) -> None:
        for content_type in [*self.defaults.values(), *self.overrides.values()]:
            lowered = content_type.lower()
            if "macroenabled" in lowered or "vbaproject" in lowered or "vbadata" in lowered:
                raise _refuse("macro")
            if "oleobject" in lowered or "activex" in lowered:
                raise _refuse("ole_object")


def _parse(body: bytes) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    return etree.fromstring(body, parser)


def _relationships(body: bytes) -> list[tuple[str, str, str]]:
    """(type, target, target mode) of each relationship in a .rels part."""
    return [(element.get("Type", ""), element.get("Target", ""), element.get("TargetMode", ""))
            for element in _parse(body).iter() if etree.QName(element).localname == "Relationship"]


def _check_external(relationships: list[tuple[str, str, str]]) -> None:
    for rel_type, _, mode in relationships:
        kind = rel_type.rsplit("/", 1)[-1]  # the same last segment in transitional and strict OOXML
        if mode.lower() == "external" and kind != "hyperlink":
            what = _EXTERNAL.get(kind, "a file")
            raise UnsafeDocument("external_relationship",
                                 f"The document loads {what} from outside the file, which can be used to run code; "
                                 "ask the agency to remove it and send a plain Word document (.docx) again.")


def _check_internal(rels_name: str, relationships: list[tuple[str, str, str]], names: set[str],
                    types: _ContentTypes) -> None:
    """Every part a relationship points to exists and has a content type, or python-docx stops with a KeyError."""
    for _, target, mode in relationships:
        member = _target(rels_name, target)
        if mode != "External" and (member not in names or not types.of(member)):
            raise _refuse("damaged")


def _target(rels_name: str, target: str) -> str:
    """The zip name a relationship in `rels_name` (word/_rels/document.xml.rels) points to, as python-docx
    resolves it: relative to the source part's folder (word/), or to the root for _rels/.rels."""
    base = "/" + posixpath.dirname(posixpath.dirname(rels_name))
    return posixpath.normpath(posixpath.join(base, target)).lstrip("/")


def _office_document(relationships: list[tuple[str, str, str]]) -> str | None:
    """The zip name of the package's main part; python-docx knows only the transitional relationship type."""
    for rel_type, target, mode in relationships:
        if rel_type == OFFICE_DOCUMENT and mode != "External":
            return _target(PACKAGE_RELS, target)
    return None
