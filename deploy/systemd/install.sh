#!/usr/bin/env bash
# Installs cspr-bot as a systemd service on this host, or brings an installation up to date. Safe to
# run again: every step says what it did, or that it found the thing already in place, and a second run
# changes nothing. It never overwrites your settings or secrets and never starts or restarts the bot.
#
# Usage: sudo deploy/systemd/install.sh [--no-install] [SOURCE]
#   SOURCE        what pip installs into /opt/cspr-bot/venv: a wheel (cspr_bot-X.Y.Z-py3-none-any.whl),
#                 a source directory, or a requirement such as cspr-bot==X.Y.Z. Default: this repository.
#   --no-install  leave the packages in the virtual environment as they are.
#
# For packaging and tests, the environment may set:
#   DESTDIR    a prefix for every path written (the unit's own paths stay /opt/..., /etc/...)
#   PYTHON     the interpreter the virtual environment is made with (default python3; 3.11 or newer)
#   PIP        the pip to install with (default: the virtual environment's own)
#   SYSTEMCTL, USERADD, GETENT   the commands used for those steps (default: their usual names)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

DESTDIR="${DESTDIR:-}"
PYTHON="${PYTHON:-python3}"
SYSTEMCTL="${SYSTEMCTL:-systemctl}"
USERADD="${USERADD:-useradd}"
GETENT="${GETENT:-getent}"

user=cspr-bot
prefix=/opt/cspr-bot
venv="$DESTDIR$prefix/venv"
PIP="${PIP:-$venv/bin/pip}"
etc="$DESTDIR/etc/cspr-bot"
unit="$DESTDIR/etc/systemd/system/cspr-bot.service"

install_packages=1
source_spec="$repo"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-install) install_packages=0 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) source_spec="$1" ;;
  esac
  shift
done

changes=0
say() { printf '%-10s %s\n' "$1" "$2"; }
changed() { say "$1" "$2"; changes=$((changes + 1)); }

if [[ -z "$DESTDIR" && "$(id -u)" -ne 0 ]]; then
  echo "install.sh: run it as root (sudo), or set DESTDIR to install under a prefix" >&2
  exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "install.sh: $PYTHON is missing or older than Python 3.11; set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

# 1. The system user the service runs as (no login, no home of its own beyond the workspace).
if "$GETENT" passwd "$user" >/dev/null; then
  say found "user $user"
else
  "$USERADD" --system --user-group --home-dir /var/lib/cspr-bot --no-create-home \
    --shell /usr/sbin/nologin "$user"
  changed created "user $user"
fi

# 2. Folders: the program under /opt, settings under /etc. The workspace /var/lib/cspr-bot is made
#    by systemd (StateDirectory=) with the right owner when the service first starts.
for dir in "$DESTDIR$prefix" "$etc"; do
  if [[ -d "$dir" ]]; then
    say found "$dir/"
  else
    install -d -m 0755 "$dir"
    changed created "$dir/"
  fi
done

# 3. The virtual environment and the bot in it.
if [[ -x "$venv/bin/python" ]]; then
  say found "virtual environment $venv"
else
  "$PYTHON" -m venv "$venv"
  changed created "virtual environment $venv"
fi
installed_version() { "$venv/bin/cspr-bot" --version 2>/dev/null || echo none; }
if [[ "$install_packages" -eq 1 ]]; then
  before="$(installed_version)"
  "$PIP" install --disable-pip-version-check --quiet --upgrade "$source_spec"
  after="$(installed_version)"
  if [[ "$after" == none ]]; then
    echo "install.sh: pip install $source_spec finished, but $venv/bin/cspr-bot --version does not run" >&2
    exit 1
  elif [[ "$before" == "$after" ]]; then
    say found "$after in $venv (pip changed nothing)"
  else
    changed installed "$after from $source_spec (was: $before)"
  fi
else
  say skipped "pip install (--no-install)"
fi

# 4. Settings: copied from the Microsoft 365 example only when absent, never overwritten.
config="$etc/cspr-bot.toml"
new_config=0
if [[ -e "$config" ]]; then
  say found "$config (left as it is)"
else
  install -m 0644 "$repo/config/m365.example.toml" "$config"
  changed created "$config from config/m365.example.toml: replace its <PLACEHOLDERS>"
  new_config=1
fi

# 5. Secrets: the environment file, only when absent; root only (systemd reads it before User= applies).
envfile="$etc/cspr-bot.env"
if [[ -e "$envfile" ]]; then
  mode="$(stat -c %a "$envfile")"
  if [[ "$mode" == 600 ]]; then
    say found "$envfile (mode 0600)"
  else
    chmod 0600 "$envfile"
    changed changed "$envfile mode $mode -> 0600 (it holds secrets)"
  fi
else
  install -m 0600 "$here/cspr-bot.env.example" "$envfile"
  changed created "$envfile (mode 0600): set the secrets your settings need"
fi

# 6. The Graph certificate is yours to put in place; this only reports on it.
cert="$etc/cspr-bot.pem"
if [[ -e "$cert" ]]; then
  say found "$cert (mode $(stat -c %a "$cert"), group $(stat -c %G "$cert"); it should be 640, $user)"
else
  say missing "$cert: with auth = \"certificate\": install -o root -g $user -m 0640 YOUR.pem $cert"
fi

# install_file SRC DEST MODE [NOTE]: DEST replaced only when it differs from SRC, saying which; true if it changed.
install_file() {
  local src=$1 dest=$2 mode=$3 note=${4:-} verb=created
  if [[ -e "$dest" ]] && cmp -s "$src" "$dest"; then
    say found "$dest (unchanged)"
    return 1
  fi
  [[ -e "$dest" ]] && verb=updated
  install -d -m 0755 "$(dirname "$dest")"
  install -m "$mode" "$src" "$dest"
  changed "$verb" "$dest${note:+ ($note)}"
}

# 7. The unit, replaced only when it differs; systemd reloaded only then.
if install_file "$here/cspr-bot.service" "$unit" 0644; then
  "$SYSTEMCTL" daemon-reload
  say ran "systemctl daemon-reload"
else
  say skipped "systemctl daemon-reload (unit unchanged)"
fi

# 8. cspr-bot-admin: any cspr-bot command (status, doctor, provision) run as the service runs.
admin="$DESTDIR/usr/local/sbin/cspr-bot-admin"
install_file "$here/cspr-bot-admin.sh" "$admin" 0755 "runs cspr-bot commands as the service: cspr-bot-admin status" \
  || true

if [[ "$changes" -eq 0 ]]; then
  echo "nothing to change: everything was already in place"
else
  echo "$changes change(s). If cspr-bot is running, restart it to use them: systemctl restart cspr-bot"
fi
if [[ "$new_config" -eq 1 ]]; then
  echo "next: edit $config and the env file, then: systemctl enable --now cspr-bot && journalctl -u cspr-bot -f"
fi
