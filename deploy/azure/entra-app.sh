#!/usr/bin/env bash
# The Entra ID app registration cspr-bot signs in as: finds it or creates it, with its service principal,
# its certificate (public part only), and one Microsoft Graph application permission, Sites.Selected,
# granted by admin consent. Safe to run again: each step says what it created or what it found.
#
# Usage: deploy/azure/entra-app.sh --certificate cspr-bot.pem [--name cspr-bot]
#   --certificate  PEM; only the certificate (public part) is uploaded, never the private key
#   --name         the app registration's display name (default cspr-bot)
# Needs: az (signed in as a Cloud Application Administrator or higher who may grant admin consent),
# openssl. Mail is NOT granted here: no tenant-wide Mail.* permission. Mail is scoped to the one shared
# mailbox by exchange-rbac.ps1; the SharePoint site by sites-selected.sh.
set -euo pipefail

graph_app_id=00000003-0000-0000-c000-000000000000   # Microsoft Graph, the same in every tenant
name=cspr-bot
certificate=""
die() { echo "entra-app.sh: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --certificate) certificate="${2:?}"; shift ;;
    --name) name="${2:?}"; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
  shift
done
[[ -n "$certificate" ]] || die "--certificate is required (see --help)"
[[ -r "$certificate" ]] || die "cannot read $certificate"
command -v az >/dev/null || die "the Azure CLI (az) is not installed"
command -v openssl >/dev/null || die "openssl is not installed"

# The certificate's SHA-1 thumbprint, as hex and as base64 (Entra shows customKeyIdentifier either way).
thumb_hex="$(openssl x509 -in "$certificate" -noout -fingerprint -sha1 | sed 's/^.*=//; s/://g' | tr 'a-f' 'A-F')"
thumb_b64="$(openssl x509 -in "$certificate" -outform DER | openssl dgst -sha1 -binary | openssl base64 -A)"
public_part="$(umask 077 && mktemp)"
trap 'rm -f "$public_part"' EXIT
openssl x509 -in "$certificate" -out "$public_part"

tenant_id="$(az account show --query tenantId --output tsv)"

# 1. The app registration (single tenant).
app_ids="$(az ad app list --display-name "$name" --query "[].appId" --output tsv)"
count="$(grep -c . <<<"$app_ids" || true)"
case "$count" in
  0) app_id="$(az ad app create --display-name "$name" --sign-in-audience AzureADMyOrg --query appId --output tsv)"
     echo "created   app registration $name ($app_id)" ;;
  1) app_id="$app_ids"
     echo "found     app registration $name ($app_id)" ;;
  *) die "$count app registrations are called $name; remove the extras or pass --name" ;;
esac

# 2. Its service principal (the enterprise application) in this tenant.
sp_id="$(az ad sp list --filter "appId eq '$app_id'" --query "[].id" --output tsv)"
if [[ -n "$sp_id" ]]; then
  echo "found     service principal $sp_id"
else
  sp_id="$(az ad sp create --id "$app_id" --query id --output tsv)"
  echo "created   service principal $sp_id"
fi

# 3. The certificate, added beside any others (--append) only when its thumbprint is not there yet.
known="$(az ad app credential list --id "$app_id" --cert --query "[].customKeyIdentifier" --output tsv)"
if grep -Fqix -e "$thumb_hex" -e "$thumb_b64" <<<"$known"; then
  echo "found     certificate $thumb_hex"
else
  az ad app credential reset --id "$app_id" --cert "@$public_part" --append --output none
  echo "added     certificate $thumb_hex (public part only)"
fi

# 4. Sites.Selected, looked up by name in this tenant's Microsoft Graph service principal.
graph_sp_id="$(az ad sp show --id "$graph_app_id" --query id --output tsv)"
role_id="$(az ad sp show --id "$graph_app_id" --query "appRoles[?value=='Sites.Selected'].id" --output tsv)"
[[ -n "$role_id" ]] || die "Microsoft Graph has no Sites.Selected application role in this tenant"
requested="$(az ad app permission list --id "$app_id" \
  --query "[?resourceAppId=='$graph_app_id'].resourceAccess[].id" --output tsv)"
if grep -Fqx "$role_id" <<<"$requested"; then
  echo "found     requested permission Microsoft Graph Sites.Selected"
else
  az ad app permission add --id "$app_id" --api "$graph_app_id" --api-permissions "$role_id=Role" --output none
  echo "added     requested permission Microsoft Graph Sites.Selected ($role_id)"
fi

# 5. Admin consent for it: an app role assignment on the service principal. Granting this one role
#    directly (rather than `az ad app permission admin-consent`) consents to nothing else the
#    registration might request.
assignments="https://graph.microsoft.com/v1.0/servicePrincipals/$sp_id/appRoleAssignments"
granted="$(az rest --method GET --url "$assignments" \
  --query "value[?resourceId=='$graph_sp_id'].appRoleId" --output tsv)"
if grep -Fqx "$role_id" <<<"$granted"; then
  echo "found     admin consent for Sites.Selected"
else
  az rest --method POST --url "$assignments" --headers "Content-Type=application/json" --output none \
    --body "{\"principalId\": \"$sp_id\", \"resourceId\": \"$graph_sp_id\", \"appRoleId\": \"$role_id\"}"
  echo "granted   admin consent for Sites.Selected"
fi

# Anything else granted on Graph is reported: a tenant-wide Mail.* role would undo the mailbox scope.
while IFS= read -r other; do
  [[ -n "$other" && "$other" != "$role_id" ]] || continue
  other_name="$(az ad sp show --id "$graph_app_id" --query "appRoles[?id=='$other'].value | [0]" --output tsv)"
  echo "WARNING   this app also holds the Microsoft Graph application permission $other_name ($other)"
  case "$other_name" in
    Mail.*) echo "          remove it: tenant-wide mail access undoes the shared-mailbox scope of exchange-rbac.ps1" ;;
  esac
done <<<"$granted"

echo
echo "For cspr-bot.toml [graph]:  tenant_id = \"$tenant_id\"  client_id = \"$app_id\"  auth = \"certificate\""
echo "Next: exchange-rbac.ps1 -AppId $app_id -ServicePrincipalId $sp_id -Mailbox <shared mailbox> ...;"
echo "      sites-selected.sh --app-id $app_id --site <tenant>.sharepoint.com:/sites/<site>"
