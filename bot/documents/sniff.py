"""What an attachment really is, from its bytes, never its name or declared type: a Word document or a
PDF, each checked before it is kept (a PDF only for size and password protection: it is never parsed)."""

from __future__ import annotations

import re

from bot.documents.safety import DEFAULT_LIMITS, Limits, UnsafeDocument, check_docx

_PDF_ENCRYPT = re.compile(rb"/Encrypt\s")


def checked_kind(data: bytes, limits: Limits = DEFAULT_LIMITS) -> str:
    """'docx' or 'pdf' for a document that is safe to keep; raises UnsafeDocument otherwise."""
    if len(data) > limits.max_bytes:
        raise UnsafeDocument("too_large", f"the file is larger than {limits.max_bytes // (1024 * 1024)} MB; ask the "
                                          "agency to send it in parts or compress the images")
    if data.startswith(b"%PDF-"):
        if _PDF_ENCRYPT.search(data):
            raise UnsafeDocument("encrypted", "the PDF is password-protected; ask the agency to send an "
                                              "unprotected copy")
        return "pdf"
    check_docx(data, limits)  # names the problem: not a Word file, macros, password protection, damage...
    return "docx"
