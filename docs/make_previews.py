"""Renders every Word template with its example values and saves page 1 as a PNG in docs/images/,
so a person can see what the bot produces without opening Word.

    make previews      # needs LibreOffice and poppler-utils (apt-get install libreoffice-writer-nogui poppler-utils)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.documents.examples import EXAMPLES  # noqa: E402
from bot.documents.pdf import docx_to_pdf  # noqa: E402
from bot.documents.render import DocumentTemplates  # noqa: E402

OUT = ROOT / "docs" / "images"


def main() -> int:
    if shutil.which("pdftoppm") is None or shutil.which("soffice") is None:
        print("needs LibreOffice and pdftoppm: apt-get install libreoffice-writer-nogui poppler-utils")
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    templates = DocumentTemplates()
    for name, context in EXAMPLES.items():
        pdf = docx_to_pdf(templates.render(name, context).data)
        if pdf is None:
            print(f"{name}: LibreOffice could not convert it")
            return 1
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "doc.pdf").write_bytes(pdf)
            subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile",
                            str(Path(tmp) / "doc.pdf"), str(OUT / name)], check=True)
        print(f"docs/images/{name}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
