"""Refuses a returned Word form that could harm the bot or a reader, before anything parses it: python-docx reads
every part whole with no zip-bomb guard, and Word would run macros, objects and remote templates
(reliability-security.md section 3.2, AT-2 to AT-5 and AT-7)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

from lxml import etree

from bot.documents import ooxml
from bot.documents.ooxml import CONTENT_TYPES, PACKAGE_RELS, WML_MAIN

CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_MAGIC = b"PK\x03\x04"
_CENTRAL_ENTRY = b"PK\x01\x02"

_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_CHUNK = 64 * 1024
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
            types = ooxml.ContentTypes(reader.read(zf.getinfo(CONTENT_TYPES), xml=True, keep=True))
            rels = ooxml.relationships(reader.read(zf.getinfo(PACKAGE_RELS), xml=True, keep=True))
            target = ooxml.office_document(rels)
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
    types = ooxml.ContentTypes(reader.read(zf.getinfo(CONTENT_TYPES), xml=True, keep=True))
    _check_types(types)
    main, names = None, set(zf.namelist())
    for info in infos:  # every member, so a bad CRC anywhere is found here and not inside python-docx
        name = info.filename
        if name == CONTENT_TYPES:
            continue
        is_rels = name.lower().endswith(".rels")
        is_xml = is_rels or name.lower().endswith(".xml") or types.of(name).endswith("xml")
        body = reader.read(info, xml=is_xml, keep=is_rels)
        if is_rels:
            relationships = ooxml.relationships(body)
            _check_external(relationships)
            _check_internal(name, relationships, names, types)
            main = ooxml.office_document(relationships) if name == PACKAGE_RELS else main
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
        kept, size, prolog = bytearray(), 0, ooxml.Prolog() if xml else None
        with self._zf.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                self._budget -= len(chunk)
                if size > info.file_size or self._budget < 0:
                    raise _refuse("zip_bomb")
                if prolog:
                    prolog.feed(chunk)
                    _check_prolog(prolog)
                if keep:
                    if size > _MAX_PARSED_XML:
                        raise _refuse("too_large")
                    kept += chunk
        if prolog:
            prolog.finish()
            _check_prolog(prolog, finished=True)
        return bytes(kept)


def _check_prolog(prolog: ooxml.Prolog, *, finished: bool = False) -> None:
    """A DOCTYPE, or a part that ends before its root element; lxml's syntax errors reach check_docx as damaged."""
    if prolog.declares_doctype:
        raise _refuse("doctype")
    if finished and not prolog.reached_root:
        raise _refuse("damaged")


def _check_types(types: ooxml.ContentTypes) -> None:
    for content_type in types.declared():
        lowered = content_type.lower()
        if "macroenabled" in lowered or "vbaproject" in lowered or "vbadata" in lowered:
            raise _refuse("macro")
        if "oleobject" in lowered or "activex" in lowered:
            raise _refuse("ole_object")


def _check_external(relationships: list[tuple[str, str, str]]) -> None:
    for rel_type, _, mode in relationships:
        kind = rel_type.rsplit("/", 1)[-1]  # the same last segment in transitional and strict OOXML
        if mode.lower() == "external" and kind != "hyperlink":
            what = _EXTERNAL.get(kind, "a file")
            raise UnsafeDocument("external_relationship",
                                 f"The document loads {what} from outside the file, which can be used to run code; "
                                 "ask the agency to remove it and send a plain Word document (.docx) again.")


def _check_internal(rels_name: str, relationships: list[tuple[str, str, str]], names: set[str],
                    types: ooxml.ContentTypes) -> None:
    """Every part a relationship points to exists and has a content type, or python-docx stops with a KeyError."""
    for _, target, mode in relationships:
        member = ooxml.target_part(rels_name, target)
        if mode != "External" and (member not in names or not types.of(member)):
            raise _refuse("damaged")
