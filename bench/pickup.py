"""Pickup latency of `cspr-bot run` on the local workspace: a message dropped into the inbox until it is filed,
with a 1-second ingest interval (the baseline: the interval itself)."""

from __future__ import annotations

import email.policy
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import Results  # noqa: E402

EXE = str(Path(sys.executable).parent / "cspr-bot")


def message(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"person{n}@elsewhere.example"
    msg["To"] = "cspr-bot@northshire-scp.example"
    msg["Subject"] = f"question {n}"
    msg["Message-ID"] = f"<q{n}@elsewhere.example>"
    msg.set_content("Hello\n" * 20)
    return msg.as_bytes(policy=email.policy.SMTP)


def latencies(drops: int = 5) -> list[float]:
    text = (ROOT / "config" / "cspr-bot.toml").read_text().replace("ingest_seconds = 60", "ingest_seconds = 1")
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        config, ws = Path(tmp) / "fast.toml", Path(tmp) / "ws"
        config.write_text(text)
        service = subprocess.Popen([EXE, "--config", str(config), "--workspace", str(ws), "run"], cwd=ROOT,
                                   stderr=subprocess.PIPE, text=True)
        assert service.stderr is not None
        service.stderr.readline()
        try:
            for i in range(drops):
                staged = ws / "mail" / "inbox" / "tmp" / f"p{i}.eml"
                staged.write_bytes(message(i))
                start = time.perf_counter()
                staged.rename(ws / "mail" / "inbox" / "new" / f"p{i}.eml")
                target = ws / "mail" / "needs-attention" / "new" / f"p{i}.eml"
                while not target.exists() and time.perf_counter() - start < 30:
                    time.sleep(0.01)
                found.append(time.perf_counter() - start)
        finally:
            service.terminate()
            service.wait(timeout=20)
    return found


def run(results: Results) -> None:
    key = "startup"
    results.section(key, "5. Start-up")
    results.add(key, "cspr-bot run: ingest interval", 1.0, "s", note="set to 1 s for this figure (default 60 s)")
    results.add(key, "cspr-bot run: message dropped in the inbox until filed", latencies(), "s",
                baseline="cspr-bot run: ingest interval", note="local workspace; 5 drops")


if __name__ == "__main__":
    run(Results())
