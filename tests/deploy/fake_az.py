"""A stand-in for the Azure CLI (`az`) for the deploy scripts' tests: no network, no tenant.

The tests put a two-line `az` on PATH that runs this file. Each call is appended to `calls.jsonl` in
$FAKE_AZ_STATE, and the answer comes from `state.json` there, so a "create" is found by the next "show"
or "list", in this run or the script's second run. It answers only the calls the scripts make, in the
form `az` prints for the `--query`/`--output` the script gives (tsv: one value a line); any other call
fails loudly with exit 99, so a script that starts calling something new breaks its test.

What it cannot check: that the JMESPath queries select what they should from Azure's real answers, and
that Azure accepts the requests. A run against a test tenant is what checks those.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

TENANT_ID = "7e57e57e-0000-4000-8000-000000000001"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"  # Microsoft Graph's app id, the same in every tenant
GRAPH_SP_ID = "7e57e57e-0000-4000-8000-0000000000a0"  # its service principal in this (fictional) tenant
# Fictional role ids: a script that hard-coded Microsoft's real ids would not find these.
SITES_SELECTED_ID = "7e57e57e-0000-4000-8000-00000000051e"
MAIL_READWRITE_ID = "7e57e57e-0000-4000-8000-0000000000e1"
GRAPH_ROLES = {SITES_SELECTED_ID: "Sites.Selected", MAIL_READWRITE_ID: "Mail.ReadWrite"}
SITE_HOST_PATH = "northshire-scp.sharepoint.example:/sites/cspr"
SITE_ID = "northshire-scp.sharepoint.example,5173e000-0000-4000-8000-000000000001,5173e000-0000-4000-8000-000000000002"
GRAPH = "https://graph.microsoft.com/v1.0"
ACR_NAME = "northshirescp"
ACR_ID = ("/subscriptions/7e57e57e-0000-4000-8000-0000000000cc/resourceGroups/rg-shared/providers/"
          f"Microsoft.ContainerRegistry/registries/{ACR_NAME}")


class Unexpected(Exception):
    pass


def parse(argv: list[str]) -> tuple[list[str], dict[str, Any]]:
    """`az group show --name x --output none` -> (["group", "show"], {"name": "x", "output": "none"})."""
    words: list[str] = []
    options: dict[str, Any] = {}
    i = 0
    while i < len(argv) and not argv[i].startswith("--"):
        words.append(argv[i])
        i += 1
    while i < len(argv):
        key = argv[i].removeprefix("--").replace("-", "_")
        if i + 1 < len(argv) and not argv[i + 1].startswith("--"):
            options[key] = argv[i + 1]
            i += 2
        else:
            options[key] = True
            i += 1
    return words, options


def tsv(values: list[str]) -> str:
    return "".join(f"{v}\n" for v in values)


def new_id(state: dict[str, Any], kind: str) -> str:
    state["serial"] = state.get("serial", 0) + 1
    return f"{kind}-{state['serial']:04d}"


def thumbprint_b64(pem: bytes) -> str:
    """The SHA-1 thumbprint as Graph returns keyCredentials.customKeyIdentifier (Edm.Binary: base64)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    cert = x509.load_pem_x509_certificate(pem)
    return base64.b64encode(cert.fingerprint(hashes.SHA1())).decode()


def answer(words: list[str], opt: dict[str, Any], state: dict[str, Any], home: Path) -> str:
    cmd = " ".join(words)
    query = str(opt.get("query", ""))
    if cmd == "account show" and query == "tenantId":
        return tsv([TENANT_ID])

    # --- resource groups and deployments (deploy.sh) ---
    groups: list[str] = state.setdefault("groups", [])
    if cmd == "group show":
        if opt["name"] not in groups:
            sys.stderr.write(f"(ResourceGroupNotFound) Resource group '{opt['name']}' could not be found.\n")
            raise SystemExit(3)
        return ""
    if cmd == "group create":
        groups.append(opt["name"])
        return ""
    if cmd in ("deployment group create", "deployment group what-if"):
        if opt["resource_group"] not in groups:
            sys.stderr.write("(ResourceGroupNotFound)\n")
            raise SystemExit(3)
        params_file = Path(str(opt["parameters"]).removeprefix("@"))
        n = len(state.setdefault("deployments", []))
        kept = home / f"parameters-{n}.json"  # the script deletes its file on exit; keep a copy to inspect
        shutil.copyfile(params_file, kept)
        state["deployments"].append({"command": cmd, "template": opt["template_file"],
                                     "parameters_file": str(params_file), "kept": str(kept)})
        return "" if cmd.endswith("what-if") else json.dumps({"containerAppName": {"value": "cspr-bot"}}) + "\n"

    # --- the registry and the identity that pulls from it (deploy.sh --registry) ---
    identities: dict[str, str] = state.setdefault("identities", {})  # name -> principal id
    pulls: list[list[str]] = state.setdefault("role_assignments", [])  # [principal, role, scope]
    if cmd == "acr show" and opt["name"] == ACR_NAME:
        if query == "id":
            return tsv([ACR_ID])
        if query == "loginServer":
            return tsv([f"{ACR_NAME}.azurecr.io"])
    if cmd == "identity show" and query == "principalId":
        if opt["name"] not in identities:
            sys.stderr.write(f"(ResourceNotFound) {opt['name']}\n")
            raise SystemExit(3)
        return tsv([identities[opt["name"]]])
    if cmd == "identity create" and query == "principalId":
        identities.setdefault(opt["name"], new_id(state, "principal"))
        return tsv([identities[opt["name"]]])
    if cmd == "role assignment list" and query == "[].id":
        wanted = [opt["assignee"], opt["role"], opt["scope"]]
        return tsv([f"assignment-{i}" for i, a in enumerate(pulls) if a == wanted])
    if cmd == "role assignment create" and opt.get("assignee_principal_type") == "ServicePrincipal":
        pulls.append([opt["assignee_object_id"], opt["role"], opt["scope"]])
        return ""

    # --- the app registration (entra-app.sh) ---
    apps: dict[str, dict[str, Any]] = state.setdefault("apps", {})  # appId -> {name, certs, requested}
    sps: dict[str, str] = state.setdefault("sps", {})  # appId -> service principal object id
    if cmd == "ad app list" and query == "[].appId":
        return tsv([a for a, v in apps.items() if v["name"] == opt["display_name"]])
    if cmd == "ad app create" and query == "appId":
        app_id = new_id(state, "app")
        apps[app_id] = {"name": opt["display_name"], "certs": [], "requested": []}
        return tsv([app_id])
    if cmd == "ad sp list" and query == "[].id":
        m = re.fullmatch(r"appId eq '([^']+)'", str(opt["filter"]))
        if m is None:
            raise Unexpected(f"filter {opt['filter']}")
        return tsv([sps[m[1]]] if m[1] in sps else [])
    if cmd == "ad sp create" and query == "id":
        sps[opt["id"]] = new_id(state, "sp")
        return tsv([sps[opt["id"]]])
    if cmd == "ad app credential list" and opt.get("cert") is True and query == "[].customKeyIdentifier":
        return tsv(apps[opt["id"]]["certs"])
    if cmd == "ad app credential reset" and opt.get("append") is True:
        pem = Path(str(opt["cert"]).removeprefix("@")).read_bytes()
        if b"PRIVATE KEY" in pem:
            sys.stderr.write("fake az: a private key was uploaded to Entra ID\n")
            raise SystemExit(98)
        apps[opt["id"]]["certs"].append(thumbprint_b64(pem))
        return ""
    if cmd == "ad sp show" and opt.get("id") == GRAPH_APP_ID:
        if query == "id":
            return tsv([GRAPH_SP_ID])
        if query == "appRoles[?value=='Sites.Selected'].id":
            return tsv([SITES_SELECTED_ID])
        m = re.fullmatch(r"appRoles\[\?id=='([^']+)'\]\.value \| \[0\]", query)
        if m is not None:
            return tsv([GRAPH_ROLES.get(m[1], "")])
    if cmd == "ad app permission list" and query == f"[?resourceAppId=='{GRAPH_APP_ID}'].resourceAccess[].id":
        return tsv(apps[opt["id"]]["requested"])
    if cmd == "ad app permission add" and opt.get("api") == GRAPH_APP_ID:
        role, kind = str(opt["api_permissions"]).split("=")
        if kind != "Role":
            raise Unexpected(f"permission kind {kind}")
        apps[opt["id"]]["requested"].append(role)
        return ""

    if cmd == "rest":
        return rest(opt, state)
    raise Unexpected(cmd)


def rest(opt: dict[str, Any], state: dict[str, Any]) -> str:
    method, url, query = opt["method"], str(opt["url"]), str(opt.get("query", ""))
    body = json.loads(opt["body"]) if "body" in opt else None
    assignments: dict[str, list[dict[str, str]]] = state.setdefault("assignments", {})  # sp id -> grants

    m = re.fullmatch(re.escape(GRAPH) + r"/servicePrincipals/([^/]+)/appRoleAssignments", url)
    if m is not None:
        mine = assignments.setdefault(m[1], [])
        if method == "GET" and query == f"value[?resourceId=='{GRAPH_SP_ID}'].appRoleId":
            return tsv([a["appRoleId"] for a in mine if a["resourceId"] == GRAPH_SP_ID])
        if method == "POST" and body is not None and body["principalId"] == m[1]:
            mine.append({"resourceId": body["resourceId"], "appRoleId": body["appRoleId"]})
            return ""

    permissions: list[dict[str, Any]] = state.setdefault("site_permissions", [])
    if url == f"{GRAPH}/sites/{SITE_HOST_PATH}" and method == "GET" and query == "id":
        return tsv([SITE_ID])
    if url == f"{GRAPH}/sites/{SITE_ID}/permissions":
        if method == "GET" and query == "value[].id":
            return tsv([p["id"] for p in permissions])
        if method == "POST" and body is not None and query == "id":
            app = body["grantedToIdentities"][0]["application"]
            permissions.append({"id": new_id(state, "perm"), "roles": body["roles"], "app": app["id"]})
            return tsv([permissions[-1]["id"]])
    m = re.fullmatch(re.escape(f"{GRAPH}/sites/{SITE_ID}/permissions/") + r"([^/]+)", url)
    if m is not None:
        found = [p for p in permissions if p["id"] == m[1]]
        if not found:
            raise Unexpected(f"no permission {m[1]}")
        perm = found[0]
        if method == "GET" and query == "[grantedToIdentitiesV2, grantedToIdentities]":
            identity = [{"application": {"id": perm["app"], "displayName": "an app"}}]
            return json.dumps([identity, identity], indent=2) + "\n"
        if method == "GET" and query == "join(',', roles)":
            return tsv([",".join(perm["roles"])])
        if method == "PATCH" and body is not None:
            perm["roles"] = body["roles"]
            return ""
    raise Unexpected(f"rest {method} {url} {query}")


def main() -> int:
    home = Path(os.environ["FAKE_AZ_STATE"])
    argv = sys.argv[1:]
    with (home / "calls.jsonl").open("a") as log:
        log.write(json.dumps(argv) + "\n")
    state_file = home / "state.json"
    state: dict[str, Any] = json.loads(state_file.read_text()) if state_file.exists() else {}
    words, options = parse(argv)
    try:
        out = answer(words, options, state, home)
    except (Unexpected, KeyError) as exc:
        sys.stderr.write(f"fake az: unexpected call ({exc}): az {' '.join(argv)}\n")
        return 99
    state_file.write_text(json.dumps(state, indent=2))
    sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
