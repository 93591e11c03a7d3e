"""Operating it: settings for the ledger and [ops], the network-share refusal, health verdicts, Prometheus text,
the HTTP endpoint, the service's leader/standby behaviour, and JSON logs with a tick's correlation id."""

from __future__ import annotations

import io
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.bootstrap import App, local_workspace
from bot.ledger import SqliteLedger, network_filesystem
from bot.ops import Endpoint, Metrics, Verdict, health, poll_seconds, prometheus
from bot.ports import Instance, OutboundMessage
from bot.service import Service
from bot.settings import ConfigError, Settings, load_settings
from tests.conftest import DEFAULT_CONFIG

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
TICK = timedelta(minutes=5)


@pytest.fixture
def ledger() -> Iterator[SqliteLedger]:
    found = SqliteLedger(":memory:")
    yield found
    found.close()


def config_with(tmp_path: Path, workspace: str = "", ops: str = "") -> Path:
    text = DEFAULT_CONFIG.read_text().replace("[workspace]\n", "[workspace]\n" + workspace, 1)
    path = tmp_path / "c.toml"
    path.write_text(text + (f"\n[ops]\n{ops}" if ops else ""))
    return path


class TestSettings:
    @pytest.mark.parametrize(("line", "says"), [
        ('ledger_url = "postgresql://bot:s3cret@db.example:5432/cspr"\n', "contains a password. Fix: remove it"),
        ('ledger_url = "postgresql://bot@db.example/cspr?password=s3cret"\n', "contains a password"),
        ('ledger_url = "mysql://bot@db.example/cspr"\n', "is not a PostgreSQL URL. Fix:"),
    ])
    def test_a_bad_ledger_url_names_the_key_and_the_fix(self, tmp_path: Path, line: str, says: str) -> None:
        with pytest.raises(ConfigError) as caught:
            load_settings(config_with(tmp_path, workspace=line))
        assert "workspace.ledger_url" in str(caught.value) and says in str(caught.value)
        assert "s3cret" not in str(caught.value)

    def test_ops_settings_are_read_and_checked(self, tmp_path: Path) -> None:
        s = load_settings(config_with(tmp_path, ops='instance = "bot-2"\nhttp_port = 9464\n'
                                                    'log_levels = { "cspr_bot.ingest_mail" = "debug" }\n'))
        assert (s.ops.instance, s.ops.http_port, s.ops.http_host, s.ops.log_levels) == (
            "bot-2", 9464, "127.0.0.1", {"cspr_bot.ingest_mail": "debug"})
        with pytest.raises(ConfigError, match=r"ops\.http_host: 'localhost' is not an IP address\. Fix: 127\.0\.0\.1"):
            load_settings(config_with(tmp_path, ops='http_host = "localhost"\n'))
        with pytest.raises(ConfigError, match=r"ops\.log_levels\.azure"):
            load_settings(config_with(tmp_path, ops='log_levels = { "azure" = "loud" }\n'))


MOUNTS = """\
/dev/vda1 / ext4 rw,relatime 0 0
//files.example/share /mnt/share cifs rw,vers=3.1.1 0 0
server.example:/export /srv/nfs nfs4 rw 0 0
/dev/vdb1 /srv/nfs/local-disk ext4 rw 0 0
"""


class TestNetworkShare:
    @pytest.mark.parametrize(("path", "found"), [
        ("/var/lib/cspr-bot", None), ("/mnt/share/cspr", "cifs"), ("/mnt/share", "cifs"), ("/mnt/shared", None),
        ("/srv/nfs/ws", "nfs4"), ("/srv/nfs/local-disk/ws", None),  # the deepest mount point decides
    ])
    def test_the_file_system_is_the_deepest_mount_point_above_the_path(self, path: str, found: str | None) -> None:
        assert network_filesystem(Path(path), MOUNTS) == found

    def test_sqlite_on_a_share_is_refused_at_start_with_the_reason_and_the_fix(
            self, tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
        import bot.ledger

        monkeypatch.setattr(bot.ledger, "network_filesystem", lambda path, mounts=None: "cifs")
        with pytest.raises(ConfigError) as caught:
            local_workspace(settings, tmp_path / "ws", sqlite_inside=True)
        text = str(caught.value)
        assert "network share (cifs)" in text and "not safe there" in text
        assert "Fix: put the workspace on a local disk, or set workspace.ledger_url" in text
        assert local_workspace(settings, tmp_path / "ws2", sqlite_inside=False).root == tmp_path / "ws2"


def beat(ledger: SqliteLedger, role: str, *, seen: datetime, tick: datetime | None = None, name: str = "bot-1") -> None:
    ledger.heartbeat(Instance(name, "host", 1, "0.2.0", role, started_at=NOW - timedelta(hours=1), seen_at=seen,
                              last_tick_at=tick))


class TestHealth:
    def verdict(self, ledger: SqliteLedger) -> Verdict:
        return health(ledger, "bot-1", now=NOW, tick=TICK, poll=15)

    def test_no_heartbeat_is_unhealthy(self, ledger: SqliteLedger) -> None:
        assert self.verdict(ledger) == Verdict(False, "unhealthy: instance bot-1 has no heartbeat in the ledger "
                                                      "(not started yet?)")

    def test_a_silent_instance_is_unhealthy(self, ledger: SqliteLedger) -> None:
        beat(ledger, "leader", seen=NOW - timedelta(seconds=61), tick=NOW - timedelta(seconds=61))
        assert self.verdict(ledger).line == "unhealthy: bot-1 last seen 61 s ago (expected every 15 s)"

    def test_a_leader_whose_jobs_stopped_finishing_is_unhealthy(self, ledger: SqliteLedger) -> None:
        beat(ledger, "leader", seen=NOW, tick=NOW - timedelta(minutes=17))
        assert self.verdict(ledger) == Verdict(False, "unhealthy: bot-1 is leader but no job has finished for 17 min")

    def test_a_working_leader_and_a_waiting_standby_are_healthy(self, ledger: SqliteLedger) -> None:
        beat(ledger, "leader", seen=NOW, tick=NOW - timedelta(seconds=40))
        assert self.verdict(ledger) == Verdict(True, "healthy: bot-1 leader, last job 40 s ago, outbox 0 pending")
        beat(ledger, "leader", seen=NOW, name="bot-2")
        beat(ledger, "standby", seen=NOW)  # a standby never ticks, and that is fine
        assert self.verdict(ledger) == Verdict(True, "healthy: bot-1 standby (leader: bot-2), outbox 0 pending")

    def test_poll_is_within_one_tick_and_at_most_15_seconds(self) -> None:
        assert poll_seconds(TICK, timedelta(seconds=60)) == 15
        assert poll_seconds(timedelta(minutes=1), timedelta(seconds=1)) == 1


class TestPrometheus:
    def test_the_text_carries_each_family_from_the_ledger_and_the_process(self, ledger: SqliteLedger) -> None:
        message = OutboundMessage(to=("a@police.example",), subject="s", text="t")
        ledger.enqueue("k1", message, case_ref="RR-1", purpose="p", at=NOW - timedelta(minutes=10))
        ledger.enqueue("k2", message, case_ref="RR-1", purpose="p", at=NOW)
        ledger.mark_sent("k2", at=NOW, message_id="<m>")
        ledger.record_inbound("m1", at=NOW, outcome="hostile:quarantine")
        beat(ledger, "leader", seen=NOW, tick=NOW)
        metrics = Metrics(jobs={"ingest_mail": 3}, failures={"send_outbox": 1}, ticks=2, throttled=4)

        text = prometheus(ledger, now=NOW, me=ledger.instances()[0], next_deadline=date(2026, 12, 4),
                          metrics=metrics)
        samples = dict(line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
        assert samples == {
            "cspr_ticks_total": "2", 'cspr_job_runs_total{job="ingest_mail"}': "3",
            'cspr_job_failures_total{job="send_outbox"}': "1", "cspr_messages_in_total": "1",
            "cspr_messages_out_total": "1", "cspr_quarantined_total": "1",
            'cspr_outbox_depth{status="failed"}': "0", 'cspr_outbox_depth{status="held"}': "0",
            'cspr_outbox_depth{status="pending"}': "1", 'cspr_outbox_depth{status="sent"}': "1",
            "cspr_outbox_oldest_unsent_seconds": "600", "cspr_graph_throttled_total": "4", "cspr_leader": "1",
            "cspr_last_tick_timestamp_seconds": "1796119200",  # 2026-12-01 10:00 UTC, every digit
            "cspr_next_deadline_timestamp_seconds": "1796342400",  # 2026-12-04
            "cspr_next_deadline_days": "3",
        }
        assert text.count("# TYPE ") == 13 and "# TYPE cspr_outbox_depth gauge" in text


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status, reply.headers["Content-Type"], reply.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers["Content-Type"], err.read().decode()


class TestEndpoint:
    def test_healthz_and_metrics_on_loopback(self) -> None:
        verdicts = [Verdict(True, "healthy: ok"), Verdict(False, "unhealthy: stalled")]
        endpoint = Endpoint("127.0.0.1", 0, healthz=lambda: verdicts[0], metrics=lambda: "cspr_leader 1\n").start()
        base = f"http://127.0.0.1:{endpoint.port}"
        try:
            assert get(base + "/healthz") == (200, "text/plain; charset=utf-8", "healthy: ok\n")
            verdicts.pop(0)
            assert get(base + "/healthz")[:1] == (503,)
            assert get(base + "/metrics") == (200, "text/plain; version=0.0.4; charset=utf-8", "cspr_leader 1\n")
            assert get(base + "/other")[0] == 404
        finally:
            endpoint.close()


class FakeLeadership:
    kind = "test"

    def __init__(self, answers: list[bool]) -> None:
        self.answers, self.released = answers, False

    def ensure(self) -> bool:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def release(self) -> None:
        self.released = True


class TestService:
    def service(self, app: App, ledger: SqliteLedger, answers: list[bool]) -> Service:
        return Service(app, leadership=FakeLeadership(answers), ops_ledger=ledger, instance="bot-1",
                       clock=lambda: NOW)

    def test_a_standby_runs_no_job_and_says_so(self, app: App, ledger: SqliteLedger,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
        ran: list[str] = []
        monkeypatch.setitem(__import__("bot.bootstrap").bootstrap.HANDLERS, "sync_cases",
                            lambda app, now: ran.append("sync_cases"))
        service = self.service(app, ledger, [False])
        service.run_job("sync_cases", NOW)
        assert ran == [] and ledger.instances()[0].role == "standby" and ledger.instances()[0].last_tick_at is None

    def test_the_leader_runs_jobs_records_the_tick_and_survives_a_failing_job(
            self, app: App, ledger: SqliteLedger, monkeypatch: pytest.MonkeyPatch) -> None:
        import bot.bootstrap

        def boom(app: App, now: datetime) -> None:
            raise RuntimeError("Graph is down")

        monkeypatch.setitem(bot.bootstrap.HANDLERS, "sync_cases", lambda app, now: None)
        monkeypatch.setitem(bot.bootstrap.HANDLERS, "send_outbox", boom)
        service = self.service(app, ledger, [True])
        before = Metrics()
        monkeypatch.setattr("bot.service.METRICS", before)
        service.run_job("sync_cases", NOW)
        service.run_job("send_outbox", NOW)
        (me,) = ledger.instances()
        assert (me.role, me.last_tick_at, len(me.last_tick_id)) == ("leader", NOW, 12)
        assert (before.jobs, before.failures, before.ticks) == ({"sync_cases": 1}, {"send_outbox": 1}, 1)

    def test_losing_the_leadership_stops_the_jobs_and_stopping_releases_it(
            self, app: App, ledger: SqliteLedger, monkeypatch: pytest.MonkeyPatch) -> None:
        import bot.bootstrap

        ran: list[datetime] = []
        monkeypatch.setitem(bot.bootstrap.HANDLERS, "ingest_mail", lambda app, now: ran.append(now))
        service = self.service(app, ledger, [True, False, True])
        service.run_job("ingest_mail", NOW)
        service.run_job("ingest_mail", NOW + timedelta(minutes=1))  # the lock's connection failed meanwhile
        assert ran == [NOW] and ledger.instances()[0].role == "standby"
        service.stop()
        assert service.leadership.released and ledger.instances()[0].role == "stopped"  # type: ignore[attr-defined]


class TestLogs:
    def test_json_lines_carry_the_ticks_correlation_id_and_levels_per_module(
            self, monkeypatch: pytest.MonkeyPatch) -> None:
        from bot.logs import configure, tick_context

        err = io.StringIO()
        monkeypatch.setattr("sys.stderr", err)
        root = logging.getLogger()
        saved = (root.handlers[:], root.level)
        try:
            configure(verbose=False, fmt="json", level="warning", levels={"cspr_bot.ingest_mail": "debug"})
            with tick_context() as tick_id, tick_context() as inner:
                logging.getLogger("cspr_bot.ingest_mail").debug("job ingest_mail done")
                logging.getLogger("cspr_bot.send_outbox").info("hidden: below warning")
            logging.getLogger("cspr_bot").warning("outside a tick")
        finally:
            root.handlers[:], root.level = saved
            logging.getLogger("cspr_bot.ingest_mail").setLevel(logging.NOTSET)
        lines = [json.loads(line) for line in err.getvalue().splitlines()]
        assert inner == tick_id and len(tick_id) == 12
        assert [(x["logger"], x["msg"], x.get("tick")) for x in lines] == [
            ("cspr_bot.ingest_mail", "job ingest_mail done", tick_id), ("cspr_bot", "outside a tick", None)]


def test_version_is_the_packages() -> None:
    from click.testing import CliRunner

    from bot import __version__
    from bot.cli import cli

    result = CliRunner().invoke(cli, ["--version"])
    assert result.output == f"cspr-bot {__version__}\n"
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert f'version = "{__version__}"' in pyproject


def test_an_instance_stands_down_when_a_newer_version_migrates_its_ledger(app: App, monkeypatch: pytest.MonkeyPatch,
                                                                         tmp_path: Path) -> None:
    """A rolling upgrade: the new version migrates the shared ledger at start; the old leader must stop acting
    within a poll, because it does not know what the new schema means."""
    import sqlite3

    import bot.bootstrap
    from bot.migrations import LATEST

    ran: list[datetime] = []
    monkeypatch.setitem(bot.bootstrap.HANDLERS, "ingest_mail", lambda app, now: ran.append(now))
    ledger = SqliteLedger(tmp_path / "ledger.sqlite")
    leadership = FakeLeadership([True])
    service = Service(app, leadership=leadership, ops_ledger=ledger, instance="old", clock=lambda: NOW)
    service.run_job("ingest_mail", NOW)
    with sqlite3.connect(tmp_path / "ledger.sqlite") as raw:  # the new version's migration, from elsewhere
        raw.execute(f"PRAGMA user_version = {LATEST + 1}")
    service.run_job("ingest_mail", NOW + timedelta(minutes=1))
    assert ran == [NOW] and leadership.released and service.check() is False
    ledger.close()


def test_the_next_deadline_is_read_from_strings_and_from_the_graph_sdks_datetimes(app: App) -> None:
    from bot.domain.records import CASES
    from bot.service import earliest_deadline

    for ref, due, stage in [("RR-1", "2027-01-19", "rapid_review_in_progress"),
                            ("RR-2", datetime(2027, 1, 12), "referred"),  # as the SDK parses a SharePoint date
                            ("RR-3", "2027-01-05", "closed"), ("RR-4", None, "referred")]:
        app.register.add(CASES, {"Title": ref, "NextDeadlineDate": due, "Stage": stage}, by="bot")
    assert earliest_deadline(app) == date(2027, 1, 12)


@pytest.mark.parametrize(("stored", "wanted", "same"), [
    ("2026-12-31", "2026-12-31", True), (datetime(2026, 12, 31), "2026-12-31", True),
    ("2026-12-31T00:00:00Z", "2026-12-31", True), (datetime(2026, 12, 31, 23), "2026-12-31", False),
    (datetime(2026, 12, 30), "2026-12-31", False), (None, "2026-12-31", False), ("green", "green", True),
    ("amber", "green", False), (["POL"], ["POL"], True),
])
def test_a_stored_date_time_at_midnight_is_the_date_the_bot_would_write(stored: object, wanted: str,
                                                                         same: bool) -> None:
    from bot.domain.records import same_value

    assert same_value(stored, wanted) is same  # type: ignore[arg-type]
