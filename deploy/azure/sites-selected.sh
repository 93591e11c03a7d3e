#!/usr/bin/env bash
# Gives the cspr-bot app access to its one SharePoint site (the app holds Graph Sites.Selected, which
# by itself reaches no site at all): "write" on the site, or "manage" while you run `cspr-bot provision`
# (it creates lists and columns). Run it again without --manage afterwards to go back to "write".
# Safe to run again: it finds the site's permissions first and changes only what differs.
#
# Usage: deploy/azure/sites-selected.sh --app-id CLIENT-ID --site TENANT.sharepoint.com:/sites/NAME [--manage]
#   --site     as graph.site in cspr-bot.toml (https://TENANT.sharepoint.com/sites/NAME also works)
#   --manage   grant "manage" instead of "write" (only while provisioning)
#   --name     the display name recorded with the grant (default cspr-bot)
# Needs: az, signed in as a SharePoint Administrator (or Global Administrator): creating a site
# permission needs Sites.FullControl.All, which az's own sign-in carries only for such an admin.
set -euo pipefail

graph=https://graph.microsoft.com/v1.0
app_id="" site="" role="write" name="cspr-bot"
die() { echo "sites-selected.sh: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --app-id) app_id="${2:?}"; shift ;;
    --site) site="${2:?}"; shift ;;
    --manage) role="manage" ;;
    --name) name="${2:?}"; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
  shift
done
[[ -n "$app_id" && -n "$site" ]] || die "--app-id and --site are required (see --help)"
command -v az >/dev/null || die "the Azure CLI (az) is not installed"

# https://host/sites/x  ->  host:/sites/x  (Graph's address of a site by host name and path)
if [[ "$site" == https://* ]]; then
  rest="${site#https://}"
  site="${rest%%/*}:/${rest#*/}"
fi
site="${site%/}"

site_id="$(az rest --method GET --url "$graph/sites/$site" --query id --output tsv)"
[[ -n "$site_id" ]] || die "no site at $site"
echo "found     site $site ($site_id)"

# The site's app permissions: find the one naming this app, if any.
permission=""
perm_ids="$(az rest --method GET --url "$graph/sites/$site_id/permissions" --query "value[].id" --output tsv)"
while IFS= read -r perm; do
  [[ -n "$perm" ]] || continue
  identities="$(az rest --method GET --url "$graph/sites/$site_id/permissions/$perm" \
    --query "[grantedToIdentitiesV2, grantedToIdentities]" --output json)"
  if grep -Fq "\"$app_id\"" <<<"$identities"; then
    permission="$perm"
    break
  fi
done <<<"$perm_ids"

if [[ -z "$permission" ]]; then
  # Created with "write"; a stronger role is then set by update, the form Graph takes for every role.
  permission="$(az rest --method POST --url "$graph/sites/$site_id/permissions" \
    --headers "Content-Type=application/json" --query id --output tsv \
    --body "{\"roles\": [\"write\"], \"grantedToIdentities\": [{\"application\": {\"id\": \"$app_id\", \"displayName\": \"$name\"}}]}")"
  echo "granted   write on the site to app $app_id (permission $permission)"
  current="write"
else
  current="$(az rest --method GET --url "$graph/sites/$site_id/permissions/$permission" \
    --query "join(',', roles)" --output tsv)"
  echo "found     $current on the site for app $app_id (permission $permission)"
fi

if [[ "$current" == "$role" ]]; then
  echo "unchanged $role is what the app needs now"
else
  az rest --method PATCH --url "$graph/sites/$site_id/permissions/$permission" \
    --headers "Content-Type=application/json" --body "{\"roles\": [\"$role\"]}" --output none
  echo "changed   $current -> $role"
fi
if [[ "$role" == manage ]]; then
  echo "After cspr-bot provision, run this again without --manage to return to write."
fi
