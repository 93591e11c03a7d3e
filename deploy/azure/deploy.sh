#!/usr/bin/env bash
# Deploys cspr-bot to Azure Container Apps with main.bicep: creates the resource group if it is missing,
# then one ARM deployment of the template. ARM deployments are idempotent: run it again to apply a new
# image or settings; what is already as described is left alone.
#
# Usage: PGPASSWORD=... deploy/azure/deploy.sh --resource-group RG --location uksouth \
#          --image REGISTRY/cspr-bot:TAG --config cspr-bot.toml --certificate cspr-bot.pem \
#          --postgres-server NAME [--registry ACR-NAME] [--replicas 1|2] [--what-if]
#   --config       the bot's settings; must set ledger_url to this server, [ops] http_port = 8080
#                  and http_host = "0.0.0.0" (the probe's port), certificate_path = "/run/secrets/cspr-bot.pem"
#   --certificate  the Graph app's certificate and private key (PEM); stored in Key Vault
#   --registry     the Azure Container Registry (name) holding the image: the bot's managed identity is
#                  created first and given AcrPull on it, so the first revision can pull
#   --what-if      show what the deployment would change, change nothing
#   PGPASSWORD     the ledger's password (16+ characters; keep it somewhere safe): stored in Key Vault,
#                  set on the server, and given to the bot. It never appears on a command line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
deployment_name=cspr-bot
identity_name=cspr-bot-identity   # main.bicep's '${namePrefix}-identity' with the default prefix

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; }
die() { echo "deploy.sh: $*" >&2; exit 2; }

resource_group="" location="" image="" config="" certificate="" postgres_server="" registry=""
replicas=1 what_if=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --resource-group) resource_group="${2:?}"; shift ;;
    --location) location="${2:?}"; shift ;;
    --image) image="${2:?}"; shift ;;
    --config) config="${2:?}"; shift ;;
    --certificate) certificate="${2:?}"; shift ;;
    --postgres-server) postgres_server="${2:?}"; shift ;;
    --registry) registry="${2:?}"; shift ;;
    --replicas) replicas="${2:?}"; shift ;;
    --what-if) what_if=1 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
  shift
done
for required in resource_group location image config certificate postgres_server; do
  [[ -n "${!required}" ]] || die "--${required//_/-} is required (see --help)"
done
[[ "$replicas" == 1 || "$replicas" == 2 ]] || die "--replicas is 1 or 2"
[[ -n "${PGPASSWORD:-}" ]] || die "set PGPASSWORD to the ledger's password (16 characters or more)"
(( ${#PGPASSWORD} >= 16 )) || die "PGPASSWORD is shorter than 16 characters"
[[ -r "$config" ]] || die "cannot read $config"
[[ -r "$certificate" ]] || die "cannot read $certificate"
if ! grep -q -- "-----BEGIN CERTIFICATE-----" "$certificate" || ! grep -q -- "PRIVATE KEY-----" "$certificate"; then
  die "$certificate must be PEM holding both the certificate and its private key"
fi

# The settings must agree with what main.bicep builds; say exactly which line is missing.
pg_host="$postgres_server.postgres.database.azure.com"
missing=()
grep -Eq "^[[:space:]]*ledger_url[[:space:]]*=[[:space:]]*\"postgresql://[^@\"]+@${pg_host//./\\.}(:5432)?/cspr_bot\?sslmode=(require|verify-full)\"" \
  "$config" || missing+=("ledger_url = \"postgresql://cspr_bot@$pg_host:5432/cspr_bot?sslmode=require\"   (in [workspace])")
grep -Eq '^[[:space:]]*http_port[[:space:]]*=[[:space:]]*8080([[:space:]]|#|$)' "$config" \
  || missing+=('http_port = 8080   (in [ops]; the liveness probe calls /healthz there)')
grep -Eq '^[[:space:]]*http_host[[:space:]]*=[[:space:]]*"0\.0\.0\.0"' "$config" \
  || missing+=('http_host = "0.0.0.0"   (in [ops]; else the probe cannot reach it)')
grep -Eq '^[[:space:]]*certificate_path[[:space:]]*=[[:space:]]*"/run/secrets/cspr-bot\.pem"' "$config" \
  || missing+=('certificate_path = "/run/secrets/cspr-bot.pem"   (in [graph]; where the certificate is mounted)')
if (( ${#missing[@]} )); then
  echo "deploy.sh: $config lacks settings the Azure deployment needs; add:" >&2
  printf '  %s\n' "${missing[@]}" >&2
  exit 2
fi

command -v az >/dev/null || die "the Azure CLI (az) is not installed"

if az group show --name "$resource_group" --output none 2>/dev/null; then
  echo "found     resource group $resource_group"
elif (( what_if )); then
  echo "would create resource group $resource_group in $location"
  exit 0
else
  az group create --name "$resource_group" --location "$location" --output none
  echo "created   resource group $resource_group in $location"
fi

# The image's registry: the identity the app pulls with must hold AcrPull before the app exists.
registry_server=""
if [[ -n "$registry" ]]; then
  acr_id="$(az acr show --name "$registry" --query id --output tsv)"
  registry_server="$(az acr show --name "$registry" --query loginServer --output tsv)"
  principal="$(az identity show --resource-group "$resource_group" --name "$identity_name" \
    --query principalId --output tsv 2>/dev/null || true)"
  if [[ -n "$principal" ]]; then
    echo "found     managed identity $identity_name"
  elif (( what_if )); then
    echo "would create managed identity $identity_name and give it AcrPull on $registry"
  else
    principal="$(az identity create --resource-group "$resource_group" --name "$identity_name" \
      --location "$location" --query principalId --output tsv)"
    echo "created   managed identity $identity_name"
  fi
  if [[ -n "$principal" ]]; then
    pulls="$(az role assignment list --assignee "$principal" --role AcrPull --scope "$acr_id" \
      --query "[].id" --output tsv)"
    if [[ -n "$pulls" ]]; then
      echo "found     AcrPull on $registry for $identity_name"
    elif (( what_if )); then
      echo "would give $identity_name AcrPull on $registry"
    else
      az role assignment create --assignee-object-id "$principal" --assignee-principal-type ServicePrincipal \
        --role AcrPull --scope "$acr_id" --output none
      echo "granted   AcrPull on $registry to $identity_name (it can take a few minutes to apply)"
    fi
  fi
fi

# Parameters go in a file only this user can read (secrets never on a command line), deleted on exit.
json_string() {
  local s="$1"
  s="${s//\\/\\\\}"; s="${s//\"/\\\"}"; s="${s//$'\t'/\\t}"; s="${s//$'\r'/\\r}"; s="${s//$'\n'/\\n}"
  printf '"%s"' "$s"
}
config_text="$(cat "$config"; printf x)"; config_text="${config_text%x}"  # the x keeps final newlines
pem_text="$(cat "$certificate"; printf x)"; pem_text="${pem_text%x}"
params="$(umask 077 && mktemp)"
trap 'rm -f "$params"' EXIT
{
  printf '{\n  "contentVersion": "1.0.0.0",\n  "parameters": {\n'
  printf '    "location": {"value": %s},\n' "$(json_string "$location")"
  printf '    "image": {"value": %s},\n' "$(json_string "$image")"
  printf '    "registryServer": {"value": %s},\n' "$(json_string "$registry_server")"
  printf '    "replicas": {"value": %s},\n' "$replicas"
  printf '    "postgresServerName": {"value": %s},\n' "$(json_string "$postgres_server")"
  printf '    "postgresPassword": {"value": %s},\n' "$(json_string "$PGPASSWORD")"
  printf '    "configToml": {"value": %s},\n' "$(json_string "$config_text")"
  printf '    "graphCertificatePem": {"value": %s}\n' "$(json_string "$pem_text")"
  printf '  }\n}\n'
} >"$params"

if (( what_if )); then
  echo "what-if   deployment $deployment_name of main.bicep into $resource_group (nothing is changed)"
  az deployment group what-if --resource-group "$resource_group" --name "$deployment_name" \
    --template-file "$here/main.bicep" --parameters "@$params"
  exit 0
fi

echo "deploying main.bicep into $resource_group as deployment $deployment_name (ARM creates what is missing,"
echo "          updates what differs, leaves the rest)"
az deployment group create --resource-group "$resource_group" --name "$deployment_name" \
  --template-file "$here/main.bicep" --parameters "@$params" \
  --query properties.outputs --output json
echo "deployed  cspr-bot; next: cspr-bot provision and doctor (deploy/README.md), then the logs:"
echo "          az containerapp logs show --resource-group $resource_group --name cspr-bot --follow"
