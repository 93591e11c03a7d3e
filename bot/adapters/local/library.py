"""Case documents in a folder: `library/<case-ref>/<path>`, written atomically, never outside it."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from bot.adapters.local.files import sweep_orphans, write_atomic
from bot.documents.pdf import docx_to_pdf
from bot.ports import Document, UnsafePath

_CASE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def safe_case_ref(case_ref: str) -> str:
    """A case reference that is one plain folder name (no separators, no `..`)."""
    if not _CASE_REF.match(case_ref) or case_ref.strip(".") == "":
        raise UnsafePath(f"not a usable case reference for a folder: {case_ref!r}")
    return case_ref


def safe_parts(case_ref: str, path: str) -> tuple[str, ...]:
    """Validated path parts: a plain case reference and a relative path without `..` or odd characters."""
    safe_case_ref(case_ref)
    if "\\" in path or "\x00" in path:
        raise UnsafePath("document paths use '/' and no control characters")
    pure = PurePosixPath(path)
    if pure.is_absolute() or any(p in ("", ".", "..") for p in pure.parts) or not pure.parts:
        raise UnsafePath(f"document path must be relative and stay in the case folder: {path!r}")
    if any(p.startswith(".") for p in pure.parts):
        raise UnsafePath(f"hidden names are not allowed: {path!r}")
    return (case_ref, *pure.parts)


class FolderLibrary:
    """The Library port on a folder tree."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        sweep_orphans(self.root)  # half-written files of a process that died; never a document

    def path_of(self, case_ref: str, path: str) -> Path:
        return self.root.joinpath(*safe_parts(case_ref, path))

    def save(self, case_ref: str, path: str, data: bytes) -> Document:
        write_atomic(self.path_of(case_ref, path), data, crash="library.save.tmp_written")
        return Document(case_ref, str(PurePosixPath(path)), len(data))

    def read(self, case_ref: str, path: str) -> bytes:
        target = self.path_of(case_ref, path)
        if not target.is_file():
            raise FileNotFoundError(f"{case_ref}/{path}")
        return target.read_bytes()

    def delete(self, case_ref: str, path: str) -> None:
        target = self.path_of(case_ref, path)
        if target.is_file():
            target.unlink()

    def pdf(self, case_ref: str, path: str) -> bytes | None:
        return docx_to_pdf(self.read(case_ref, path))

    def list(self, case_ref: str, folder: str = "") -> list[Document]:
        base = self.root.joinpath(*safe_parts(case_ref, folder)) if folder else self.root / safe_case_ref(case_ref)
        if not base.is_dir():
            return []
        case_root = self.root / case_ref
        return sorted(
            (Document(case_ref, p.relative_to(case_root).as_posix(), p.stat().st_size)
             for p in base.rglob("*") if p.is_file() and not p.name.startswith(".")),
            key=lambda d: d.path,
        )
