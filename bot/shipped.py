"""Where the shipped templates are: `templates/` beside `bot/` in a source checkout (and an editable install);
in an installed wheel (the container image, the systemd install), `share/cspr-bot/templates` under the
installation's prefix, where the wheel's data files put them."""

from __future__ import annotations

import site
import sys
from pathlib import Path


def templates_dir() -> Path:
    source = Path(__file__).resolve().parents[1] / "templates"
    if source.is_dir():
        return source
    for prefix in (sys.prefix, site.getuserbase()):
        installed = Path(prefix) / "share" / "cspr-bot" / "templates"
        if installed.is_dir():
            return installed
    return source  # missing: the template check at start names what it looked for
