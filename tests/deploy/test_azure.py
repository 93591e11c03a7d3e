"""deploy/azure: the az scripts run twice against a fake `az` (tests/deploy/fake_az.py), and main.bicep and
exchange-rbac.ps1 read as text.

This machine has no `az`, no Bicep compiler and no PowerShell, and no test may reach Azure. What would test
the rest for real: `az bicep build --file deploy/azure/main.bicep` and `deploy.sh --what-if` against a
subscription; exchange-rbac.ps1 under pwsh against a test tenant (its own Test-ServicePrincipalAuthorization
checks are the assertions); the scripts against a test tenant.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import tomllib
from pathlib import Path

import pytest

from tests.deploy.conftest import AZURE, ROOT, FakeAz, command_words, write_test_certificate
from tests.deploy.fake_az import (
    ACR_ID,
    ACR_NAME,
    GRAPH_APP_ID,
    GRAPH_SP_ID,
    MAIL_READWRITE_ID,
    SITE_HOST_PATH,
    SITES_SELECTED_ID,
)

BICEP = (AZURE / "main.bicep").read_text()
PASSWORD = "fictional-Ledger-Password-1234"
PG_SERVER = "cspr-northshire-pg"
PG_HOST = f"{PG_SERVER}.postgres.database.azure.com"


def bicep_params() -> dict[str, tuple[bool, bool]]:
    """name -> (has a default, is @secure()), from `param NAME TYPE [= default]` and the decorators above it."""
    params: dict[str, tuple[bool, bool]] = {}
    decorators: list[str] = []
    for line in BICEP.splitlines():
        stripped = line.strip()
        if stripped.startswith("@"):
            decorators.append(stripped)
            continue
        m = re.match(r"param (\w+) \w+( = .+)?$", stripped)
        if m:
            params[m[1]] = (m[2] is not None, any(d.startswith("@secure()") for d in decorators))
        if stripped and not stripped.startswith("//"):
            decorators = []
    return params


def azure_config(tmp_path: Path, *, drop: str = "") -> Path:
    """The Microsoft 365 example with the lines deploy.sh requires (all but `drop`), as an operator writes it."""
    required = {"ledger_url": f'ledger_url = "postgresql://cspr_bot@{PG_HOST}:5432/cspr_bot?sslmode=require"',
                "http_port": "http_port = 8080", "http_host": 'http_host = "0.0.0.0"'}
    lines = [line for line in (ROOT / "config" / "m365.example.toml").read_text().splitlines()
             if line.split("=")[0].strip() not in required]  # the example may set them one day
    add = {key: line for key, line in required.items() if key != drop}
    workspace = lines.index("[workspace]") + 1
    lines[workspace:workspace] = [add[k] for k in ("ledger_url",) if k in add]
    ops = [add[k] for k in ("http_port", "http_host") if k in add]
    if "[ops]" in lines:
        lines[lines.index("[ops]") + 1:lines.index("[ops]") + 1] = ops
    else:
        lines += ["", "[ops]", *ops]
    path = tmp_path / "cspr-bot.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


class TestDeploySh:
    def deploy(self, az: FakeAz, config: Path, certificate: Path) -> tuple[int, str, str]:
        done = az.run(AZURE / "deploy.sh", "--resource-group", "rg-cspr-bot", "--location", "uksouth",
                      "--image", "registry.northshire-scp.example/cspr-bot:0.2.0", "--config", str(config),
                      "--certificate", str(certificate), "--postgres-server", PG_SERVER, "--replicas", "2",
                      "--registry", ACR_NAME, PGPASSWORD=PASSWORD)
        return done.returncode, done.stdout, done.stderr

    def test_first_run_creates_the_group_second_finds_it_and_both_deploy_the_template(self, fake_az, tmp_path,
                                                                                        certificate):
        config = azure_config(tmp_path)
        code, out, err = self.deploy(fake_az, config, certificate)
        assert code == 0, err
        assert "created   resource group rg-cspr-bot" in out
        assert "created   managed identity cspr-bot-identity" in out and "granted   AcrPull on" in out
        first = len(fake_az.calls())
        code, out, err = self.deploy(fake_az, config, certificate)
        assert code == 0, err
        assert "found     resource group rg-cspr-bot" in out
        assert "found     managed identity cspr-bot-identity" in out and "found     AcrPull on" in out
        second_run = [command_words(c) for c in fake_az.calls()[first:]]
        assert not [c for c in second_run if c.endswith("create") and c != "deployment group create"]
        assert second_run.count("deployment group create") == 1
        state = fake_az.state()
        assert state["groups"] == ["rg-cspr-bot"]
        assert state["role_assignments"] == [[state["identities"]["cspr-bot-identity"], "AcrPull", ACR_ID]]
        assert [d["template"] for d in fake_az.state()["deployments"]] == [str(AZURE / "main.bicep")] * 2

    def test_parameters_match_the_template_carry_the_files_exactly_and_keep_secrets_off_the_command_line(
            self, fake_az, tmp_path, certificate):
        config = azure_config(tmp_path)
        config.write_text(config.read_text() + '# quotes " and backslashes \\ and a tab\t and £\n\n')
        code, _, err = self.deploy(fake_az, config, certificate)
        assert code == 0, err
        deployment = fake_az.state()["deployments"][0]
        given = json.loads(Path(deployment["kept"]).read_text())["parameters"]
        params = bicep_params()
        assert set(given) <= set(params), f"deploy.sh passes parameters main.bicep lacks: {set(given) - set(params)}"
        required = {name for name, (has_default, _) in params.items() if not has_default}
        assert required <= set(given), f"main.bicep parameters deploy.sh never gives: {required - set(given)}"
        assert given["configToml"]["value"] == config.read_text()
        assert given["graphCertificatePem"]["value"] == certificate.read_text()
        assert given["postgresPassword"]["value"] == PASSWORD
        assert given["replicas"]["value"] == 2
        assert given["registryServer"]["value"] == f"{ACR_NAME}.azurecr.io"
        # deploy.sh creates the identity before the template does (for AcrPull): the same name
        assert re.search(r"name: '\$\{namePrefix\}-identity'", BICEP)
        assert "param namePrefix string = 'cspr-bot'" in BICEP
        assert not any(PASSWORD in arg or "PRIVATE KEY" in arg for call in fake_az.calls() for arg in call)
        assert not Path(deployment["parameters_file"]).exists(), "the parameters file (secrets) was left behind"

    @pytest.mark.parametrize("drop, named", [("http_host", 'http_host = "0.0.0.0"'), ("http_port", "http_port = 8080"),
                                             ("ledger_url", f"@{PG_HOST}:5432/cspr_bot")])
    def test_settings_that_would_not_work_on_azure_are_refused_before_any_az_call(self, fake_az, tmp_path,
                                                                                  certificate, drop, named):
        code, _, err = self.deploy(fake_az, azure_config(tmp_path, drop=drop), certificate)
        assert code == 2
        assert named in err
        assert fake_az.calls() == []

    def test_the_settings_deploy_sh_demands_are_ones_the_bot_accepts(self, tmp_path):
        from bot.settings import load_settings

        settings = load_settings(azure_config(tmp_path))
        assert settings.ops.http_port == 8080 and settings.ops.http_host == "0.0.0.0"
        assert settings.workspace.ledger_url is not None and PG_HOST in settings.workspace.ledger_url
        assert settings.graph is not None and str(settings.graph.certificate_path) == "/run/secrets/cspr-bot.pem"


class TestEntraApp:
    def test_first_run_creates_everything_second_run_finds_everything_and_changes_nothing(self, fake_az, tmp_path):
        der = write_test_certificate(tmp_path / "cert.pem")
        first = fake_az.run(AZURE / "entra-app.sh", "--certificate", str(tmp_path / "cert.pem"))
        assert first.returncode == 0, first.stderr
        for step in ("created   app registration cspr-bot", "created   service principal", "added     certificate",
                     "added     requested permission Microsoft Graph Sites.Selected",
                     "granted   admin consent for Sites.Selected"):
            assert step in first.stdout
        n = len(fake_az.calls())

        second = fake_az.run(AZURE / "entra-app.sh", "--certificate", str(tmp_path / "cert.pem"))
        assert second.returncode == 0, second.stderr
        assert "created" not in second.stdout and "added" not in second.stdout and "granted" not in second.stdout
        assert second.stdout.count("found     ") == 5
        reads = {"account show", "ad app list", "ad sp list", "ad app credential list", "ad sp show",
                 "ad app permission list"}
        writes = [c for c in fake_az.calls()[n:] if command_words(c) not in reads and "GET" not in c]
        assert writes == []

        state = fake_az.state()
        (app,) = state["apps"].values()
        assert app["requested"] == [SITES_SELECTED_ID]
        assert app["certs"] == [base64.b64encode(hashlib.sha1(der).digest()).decode()]
        (sp_id,) = state["sps"].values()
        assert state["assignments"][sp_id] == [{"resourceId": GRAPH_SP_ID, "appRoleId": SITES_SELECTED_ID}]
        assert "client_id" in second.stdout and "tenant_id" in second.stdout

    def test_no_call_asks_for_a_tenant_wide_mail_permission(self, fake_az, certificate):
        assert fake_az.run(AZURE / "entra-app.sh", "--certificate", str(certificate)).returncode == 0
        for call in fake_az.calls():
            assert not any("Mail." in arg or MAIL_READWRITE_ID in arg for arg in call), call
            if "--api-permissions" in call:
                assert call[call.index("--api-permissions") + 1] == f"{SITES_SELECTED_ID}=Role"

    def test_a_mail_permission_granted_by_someone_else_is_reported(self, fake_az, certificate):
        fake_az.seed({"apps": {"app-0001": {"name": "cspr-bot", "certs": [], "requested": []}},
                      "sps": {"app-0001": "sp-0002"}, "serial": 2,
                      "assignments": {"sp-0002": [{"resourceId": GRAPH_SP_ID, "appRoleId": MAIL_READWRITE_ID}]}})
        done = fake_az.run(AZURE / "entra-app.sh", "--certificate", str(certificate))
        assert done.returncode == 0, done.stderr
        assert f"WARNING   this app also holds the Microsoft Graph application permission Mail.ReadWrite " \
               f"({MAIL_READWRITE_ID})" in done.stdout
        assert "found     app registration cspr-bot (app-0001)" in done.stdout


class TestSitesSelected:
    APP = "7e57e57e-0000-4000-8000-00000000c5b0"

    def grant(self, az: FakeAz, *extra: str, site: str = SITE_HOST_PATH) -> str:
        done = az.run(AZURE / "sites-selected.sh", "--app-id", self.APP, "--site", site, *extra)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def roles(self, az: FakeAz) -> dict[str, list[str]]:
        return {p["app"]: p["roles"] for p in az.state()["site_permissions"]}

    def test_write_is_granted_once_then_found_and_manage_comes_and_goes_on_request(self, fake_az):
        # another app already has a grant on the site: the script must look past it
        fake_az.seed({"site_permissions": [{"id": "perm-other", "roles": ["read"], "app": "someone-else"}]})
        assert "granted   write on the site" in self.grant(fake_az)
        n = len(fake_az.calls())
        again = self.grant(fake_az, site=f"https://{SITE_HOST_PATH.replace(':/', '/')}")
        assert "found     write" in again and "unchanged" in again
        assert not any(m in c for c in fake_az.calls()[n:] for m in ("POST", "PATCH"))
        assert self.roles(fake_az) == {"someone-else": ["read"], self.APP: ["write"]}

        assert "changed   write -> manage" in self.grant(fake_az, "--manage")
        assert self.roles(fake_az)[self.APP] == ["manage"]
        assert "changed   manage -> write" in self.grant(fake_az)
        assert self.roles(fake_az) == {"someone-else": ["read"], self.APP: ["write"]}
        assert len(fake_az.state()["site_permissions"]) == 2


class TestBicepText:
    """What can be checked without a compiler; `az bicep build` checks the rest."""

    def test_no_secret_parameter_has_a_default_and_every_secret_is_secure(self):
        params = bicep_params()
        secret = [n for n in params if re.search(r"password|pem|secret|toml", n, re.I)]
        assert secret, "expected the password, certificate and settings parameters"
        for name in secret:
            has_default, is_secure = params[name]
            assert is_secure and not has_default, name
        assert "-----BEGIN" not in BICEP

    def test_key_vault_references_use_the_identity_and_mounts_match_the_bot_settings(self):
        vault_refs = re.findall(r"keyVaultUrl: [^\n]+\n\s+identity: (\S+)", BICEP)
        assert vault_refs == ["identity.id", "identity.id"], "each Key Vault secret must be read by the identity"
        assert re.search(r"enableRbacAuthorization: true", BICEP)
        assert re.search(r"secretRef: 'graph-certificate'\s+path: 'cspr-bot.pem'", BICEP)
        assert re.search(r"volumeName: 'graph-certificate'\s+mountPath: '/run/secrets'", BICEP)
        assert re.search(r"secretRef: 'cspr-bot-toml'\s+path: 'cspr-bot.toml'", BICEP)
        assert re.search(r"volumeName: 'settings'\s+mountPath: '/etc/cspr-bot'", BICEP)
        assert re.search(r"name: 'PGPASSWORD'\s+secretRef: 'postgres-password'", BICEP)
        example = tomllib.loads((ROOT / "config" / "m365.example.toml").read_text())
        assert example["graph"]["certificate_path"] == "/run/secrets/cspr-bot.pem"

    def test_probes_call_healthz_on_the_ops_port_and_postgres_requires_tls_1_2(self):
        assert re.search(r"var opsPort = 8080\b", BICEP)
        probes = re.findall(r"type: '(\w+)'\s+httpGet: \{\s+path: '([^']+)'\s+port: (\w+)", BICEP)
        assert {p[0] for p in probes} >= {"Liveness"} and all(p[1:] == ("/healthz", "opsPort") for p in probes)
        assert re.search(r"name: 'require_secure_transport'\s+properties: \{\s+value: 'on'", BICEP)
        assert re.search(r"name: 'ssl_min_protocol_version'\s+properties: \{\s+value: 'TLSv1.2'", BICEP)
        assert re.search(r"sslmode=require", BICEP)


class TestExchangeRbacText:
    """What can be checked without PowerShell; pwsh against a test tenant checks the rest."""

    PS1 = (AZURE / "exchange-rbac.ps1").read_text()

    def test_every_cmdlet_that_creates_something_runs_only_when_its_get_found_nothing(self):
        lines = self.PS1.splitlines()
        creates = [(i, m[1]) for i, line in enumerate(lines) if (m := re.search(r"\bNew-(\w+)", line))]
        assert {noun for _, noun in creates} == {"ServicePrincipal", "ManagementScope", "ManagementRoleAssignment"}
        for i, noun in creates:
            guard = next(line for line in reversed(lines[:i]) if re.search(r"\bif \(", line))
            var = re.search(r"if \(-not \$(\w+)\)", guard)
            assert var, f"New-{noun} (line {i + 1}) is not inside an `if (-not $x)`"
            assert re.search(rf"\${var[1]} = Get-{noun} ", "\n".join(lines[:i])), f"${var[1]} is not Get-{noun}"

    def test_the_scope_is_the_one_mailbox_and_both_roles_use_it_and_both_directions_are_tested(self):
        assert re.search(r"""^\$filter = "PrimarySmtpAddress -eq '\$\(\$Mailbox\.Replace\(.*\)\)'"$""", self.PS1, re.M)
        assert "-RecipientRestrictionFilter $filter" in self.PS1
        assert "'Application Mail.ReadWrite', 'Application Mail.Send'" in self.PS1
        assert re.search(r"New-ManagementRoleAssignment [^\n]*-Role \$role -CustomResourceScope \$ScopeName", self.PS1)
        assert "Resource = $Mailbox; Expect = $true" in self.PS1
        assert "Resource = $OutOfScopeMailbox; Expect = $false" in self.PS1
        assert GRAPH_APP_ID not in self.PS1  # no Graph permission is touched from Exchange
