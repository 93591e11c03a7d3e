"""Settings: one TOML file (plus environment variables for secrets), validated once at start.

Only `bot.cli` and `bot.bootstrap` read settings; handlers receive the values they need. An invalid
file fails with the key, the problem and the fix, e.g.
`config/cspr-bot.toml: partnerships[0].agencies[1].lead_address: 'x' is not an email address. Fix: ...`
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.domain.calendar import WorkingCalendar
from bot.domain.deadlines import Policy
from bot.domain.model import Agency, AgencyKind, Lead, Partnership
from bot.domain.rules import ClockStart

DEFAULT_CONFIG = Path("config/cspr-bot.toml")
CONFIG_ENV = "CSPR_BOT_CONFIG"

_ADDRESS = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_DOMAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")


class ConfigError(Exception):
    """The configuration cannot be used; the message names the key, the problem and the fix."""


def _address(value: str) -> str:
    if not _ADDRESS.match(value):
        raise ValueError(f"{value!r} is not an email address. Fix: write a full address such as "
                         "safeguarding@agency.example")
    return value.lower()


def _domain(value: str) -> str:
    value = value.lower()
    if not _DOMAIN.match(value):
        raise ValueError(f"{value!r} is not a mail domain. Fix: write just the domain, e.g. police.example")
    return value


Address = Annotated[str, AfterValidator(_address)]
Domain = Annotated[str, AfterValidator(_domain)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AgencySettings(_Strict):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,7}$")
    name: str = Field(min_length=1)
    kind: AgencyKind
    lead_address: Address
    escalation_address: Address
    allowed_domains: list[Domain] = Field(default_factory=list)

    def to_domain(self) -> Agency:
        domains = self.allowed_domains or sorted(
            {self.lead_address.rpartition("@")[2], self.escalation_address.rpartition("@")[2]})
        return Agency(self.code, self.name, self.kind, self.lead_address, self.escalation_address, tuple(domains))


class LeadSettings(_Strict):
    role: str = Field(min_length=1)
    name: str = Field(min_length=1)
    address: Address
    can_approve: bool = False


class PartnershipSettings(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    name: str = Field(min_length=1)
    local_authorities: list[str] = Field(min_length=1)
    classification: str = "OFFICIAL-SENSITIVE"
    team_address: Address
    case_prefix: str = Field(default="RR", pattern=r"^[A-Z]{2,6}$")
    rapid_review_clock: ClockStart = ClockStart.SIN_SUBMITTED
    agency_return_working_days: int = Field(default=7, ge=1, le=15)
    amber_within_working_days: int = Field(default=3, ge=0, le=15)
    closure_days: list[date] = Field(default_factory=list)
    domestic_abuse_service: str | None = None
    email_templates: Path | None = None  # a folder of this partnership's own email templates
    document_templates: Path | None = None  # a folder of this partnership's own Word templates
    panel_format: Literal["docx", "pdf"] = "docx"  # the rapid review report as sent to the Panel
    # Years after a case closes before `cspr-bot retention` offers its documents for deletion. No national
    # period applies (the partnership's own retention schedule / Appropriate Policy Document sets it, DPA 2018
    # Sch. 1 para 39), so this is configurable per partnership; the default is deliberately long because
    # deletion cannot be undone and review material may be needed in later criminal, family or coroner
    # proceedings (process.md, "Parallel proceedings and disclosure"). Set it to your schedule's figure.
    retention_years: int = Field(default=25, ge=1, le=100)
    leads: list[LeadSettings] = Field(min_length=1)
    agencies: list[AgencySettings] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> PartnershipSettings:
        codes = [a.code for a in self.agencies]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"agency code {dupes[0]!r} is used twice. Fix: give every agency its own code")
        if self.domestic_abuse_service and self.domestic_abuse_service not in codes:
            raise ValueError(
                f"domestic_abuse_service {self.domestic_abuse_service!r} is not one of this partnership's "
                f"agencies ({', '.join(codes)}). Fix: use the code of the specialist domestic abuse agency")
        return self

    def to_domain(self) -> Partnership:
        policy = Policy(
            clock=self.rapid_review_clock, agency_return_working_days=self.agency_return_working_days,
            amber_within_working_days=self.amber_within_working_days,
            calendar=WorkingCalendar(self.closure_days),
        )
        return Partnership(
            id=self.id, name=self.name, local_authorities=tuple(self.local_authorities),
            classification=self.classification, team_address=self.team_address,
            agencies=tuple(a.to_domain() for a in self.agencies),
            leads=tuple(Lead(x.role, x.name, x.address, x.can_approve) for x in self.leads),
            policy=policy, case_prefix=self.case_prefix, domestic_abuse_service=self.domestic_abuse_service,
            panel_format=self.panel_format, retention_years=self.retention_years,
        )


class WorkspaceSettings(_Strict):
    path: Path = Path("var/workspace")
    # the ledger on PostgreSQL (for two or more instances): postgresql://USER@HOST:5432/DB?sslmode=require.
    # No password here: libpq reads PGPASSWORD (or ~/.pgpass) from the service's environment.
    ledger_url: str | None = None

    @field_validator("ledger_url")
    @classmethod
    def _ledger_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"{value[:40]!r} is not a PostgreSQL URL. Fix: write postgresql://USER@HOST:5432/DB, "
                             "or remove ledger_url to keep the ledger in SQLite in the workspace")
        from urllib.parse import urlsplit

        try:
            password = urlsplit(value).password
        except ValueError:
            raise ValueError("ledger_url cannot be read as a URL. Fix: postgresql://USER@HOST:5432/DB") from None
        if password is not None or "password=" in value.lower():
            raise ValueError("ledger_url contains a password. Fix: remove it from the file and set PGPASSWORD in "
                             "the service's environment file (never in the TOML)")
        return value


LogLevel = Literal["debug", "info", "warning", "error"]


class OpsSettings(_Strict):
    """Running it: the instance's name, logs, and the optional /healthz and /metrics endpoint."""

    instance: str = Field(default="", pattern=r"^[A-Za-z0-9._-]{0,63}$")  # "" = this host's name
    http_port: int = Field(default=0, ge=0, le=65535)  # 0 = no HTTP endpoint
    http_host: str = "127.0.0.1"  # "0.0.0.0" only inside a container, for the platform's probe
    log_format: Literal["auto", "json", "text"] = "auto"
    log_level: LogLevel = "info"
    log_levels: dict[str, LogLevel] = Field(default_factory=dict)  # per module, e.g. "cspr_bot.ingest" = "debug"

    @field_validator("http_host")
    @classmethod
    def _host(cls, value: str) -> str:
        import ipaddress

        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address. Fix: 127.0.0.1 (loopback), or 0.0.0.0 inside a "
                             "container") from None
        return value


class BotSettings(_Strict):
    mailbox_address: Address
    backend: Literal["local", "graph"] = "local"  # the embedded workspace, or Microsoft 365
    timezone: str = "Europe/London"
    tick_minutes: int = Field(default=5, ge=1, le=60)
    ingest_seconds: int = Field(default=60, ge=1, le=3600)
    office_opens: time = time(8, 30)
    office_closes: time = time(17, 30)
    templates_dir: Path | None = None
    redirect_all_to: Address | None = None
    # sender authentication: the id our receiving service puts first in Authentication-Results ("" = the
    # topmost header, as Exchange Online stamps it), and whether mail without those results is trusted
    # (for the local demo workspace only; never on Microsoft 365)
    authserv_id: str = ""
    trust_unauthenticated_mail: bool = False

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone. Fix: use a name like Europe/London") from None
        return value

    @model_validator(mode="after")
    def _hours(self) -> BotSettings:
        if self.office_closes <= self.office_opens:
            raise ValueError("office_closes must be after office_opens. Fix: e.g. office_opens = 08:30:00, "
                             "office_closes = 17:30:00")
        return self


class GraphSettings(_Strict):
    """Microsoft 365: app-only access to one shared mailbox and one SharePoint site. Secrets come from
    the environment only: CSPR_BOT_CLIENT_SECRET, or CSPR_BOT_STATIC_TOKEN for the test emulator."""

    tenant_id: str = ""
    client_id: str = ""
    auth: Literal["certificate", "secret", "managed_identity", "static_token"] = "certificate"
    certificate_path: Path | None = None
    base_url: str = "https://graph.microsoft.com/v1.0"
    site: str = Field(min_length=3)  # e.g. "northshire.sharepoint.com:/sites/cspr"

    @model_validator(mode="after")
    def _credentials(self) -> GraphSettings:
        if self.auth in ("certificate", "secret") and not (self.tenant_id and self.client_id):
            raise ValueError(f"auth = {self.auth!r} needs tenant_id and client_id. Fix: copy them from the app "
                             "registration's overview page")
        if self.auth == "certificate" and self.certificate_path is None:
            raise ValueError("auth = 'certificate' needs certificate_path. Fix: point it at the PEM file with "
                             "the private key (or choose auth = 'managed_identity')")
        return self


class PanelSettings(_Strict):
    """The national bodies the bot writes to. The last four are needed once a case reaches the step that
    writes to them (process.md T9, T14, T15, T18); until then they may be left out."""

    address: Address
    nccu_address: Address
    ofsted_address: Address | None = None  # LCSPR commissioning notice; the final report before publication
    dfe_address: Address | None = None  # LCSPR commissioning notice (the Department for Education)
    secretary_of_state_address: Address | None = None  # the final report before publication
    repository_address: Address | None = None  # national case review repository (the team sends it)

    def national(self) -> set[str]:
        return {a for a in (self.ofsted_address, self.dfe_address, self.secretary_of_state_address) if a}


class Settings(_Strict):
    workspace: WorkspaceSettings = WorkspaceSettings()
    ops: OpsSettings = OpsSettings()
    bot: BotSettings
    panel: PanelSettings
    graph: GraphSettings | None = None
    partnerships: list[PartnershipSettings] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_partnerships(self) -> Settings:
        if self.bot.backend == "graph" and self.graph is None:
            raise ValueError("bot.backend = 'graph' needs a [graph] table. Fix: see config/m365.example.toml")
        ids = [p.id for p in self.partnerships]
        if len(set(ids)) != len(ids):
            raise ValueError("two partnerships share an id. Fix: give each [[partnerships]] its own id")
        return self

    def addresses(self) -> frozenset[str]:
        """Every address the configuration names: the only ones the bot will ever send to."""
        found = {self.bot.mailbox_address, self.panel.address, self.panel.nccu_address, *self.panel.national()}
        if self.bot.redirect_all_to:
            found.add(self.bot.redirect_all_to)
        for p in self.partnerships:
            found.add(p.team_address)
            found.update(lead.address for lead in p.leads)
            for a in p.agencies:
                found.update((a.lead_address, a.escalation_address))
        return frozenset(a.lower() for a in found)

    def partnership(self, id_: str | None = None) -> PartnershipSettings:
        if id_ is None:
            return self.partnerships[0]
        for p in self.partnerships:
            if p.id == id_ or p.name.lower() == id_.lower():
                return p
        known = ", ".join(p.id for p in self.partnerships)
        raise ConfigError(f"no partnership {id_!r} in the configuration. Fix: use one of: {known}")


def config_path(explicit: str | Path | None) -> Path:
    """--config, else $CSPR_BOT_CONFIG, else config/cspr-bot.toml in the current folder."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load_settings(path: Path) -> Settings:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file. Fix: pass --config PATH or set "
                          f"{CONFIG_ENV} (the default is {DEFAULT_CONFIG})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}). Fix: check quotes, brackets and `key = value` "
                          "lines near that position") from None
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("\n".join(_explain(path, err) for err in exc.errors())) from None


def _key_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


_FIXES = {
    "missing": "add it",
    "extra_forbidden": "remove it or correct the spelling of the key",
    "enum": "use one of the allowed values",
    "literal_error": "use one of the allowed values",
    "date_from_datetime_parsing": "write the date as YYYY-MM-DD, e.g. 2026-12-24",
    "date_parsing": "write the date as YYYY-MM-DD, e.g. 2026-12-24",
    "date_type": "write the date as YYYY-MM-DD without quotes, e.g. 2026-12-24",
    "string_pattern_mismatch": "match the pattern shown",
    "too_short": "add at least one entry",
    "int_parsing": "write a whole number",
    "bool_parsing": "write true or false",
    "time_parsing": "write a time as HH:MM:SS, e.g. 08:30:00",
    "time_type": "write a time as HH:MM:SS without quotes, e.g. 08:30:00",
}


def _explain(path: Path, err: Any) -> str:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    key = _key_path(loc)
    msg = err["msg"].removeprefix("Value error, ")
    if "Fix:" in msg:
        return f"{path}: {key}: {msg}"
    if err["type"] == "missing":
        return f"{path}: {key}: required key is missing. Fix: add `{loc[-1]} = ...` to that table"
    fix = _FIXES.get(err["type"], "correct the value")
    shown = f" (got {err['input']!r})" if err["type"] not in ("extra_forbidden",) and "input" in err \
        and not isinstance(err["input"], dict | list) else ""
    return f"{path}: {key}: {msg}{shown}. Fix: {fix}"
