"""Word to PDF on the local workspace, with LibreOffice when it is installed (Microsoft 365 converts
with Graph's `?format=pdf` instead). No LibreOffice, no PDF: the caller sends the .docx and says so."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(data: bytes, *, timeout: float = 120) -> bytes | None:
    """The PDF of a .docx, or None when LibreOffice is missing or fails."""
    exe = soffice()
    if exe is None:
        return None
    with tempfile.TemporaryDirectory(prefix="cspr-pdf-") as tmp:
        source = Path(tmp) / "document.docx"
        source.write_bytes(data)
        profile = Path(tmp) / "profile"  # a private profile: parallel conversions do not lock each other out
        try:
            subprocess.run([exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                            "--outdir", tmp, str(source)], check=True, capture_output=True, timeout=timeout)
        except (subprocess.SubprocessError, OSError):
            return None
        out = Path(tmp) / "document.pdf"
        return out.read_bytes() if out.exists() else None
