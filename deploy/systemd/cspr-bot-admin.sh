#!/usr/bin/env bash
# cspr-bot-admin: runs one cspr-bot command as the service runs (its user, settings, secrets and certificate),
# so files it makes in the workspace belong to the service and the secrets stay in the root-only env file.
# install.sh installs it as /usr/local/sbin/cspr-bot-admin. Examples (as root):
#   cspr-bot-admin status
#   cspr-bot-admin doctor
#   cspr-bot-admin provision
set -euo pipefail
mode=--pipe
if [[ -t 0 && -t 1 ]]; then mode=--pty; fi
exec systemd-run --quiet --wait --collect "$mode" --uid=cspr-bot --gid=cspr-bot \
  --property=EnvironmentFile=/etc/cspr-bot/cspr-bot.env \
  --property=StateDirectory=cspr-bot --property=WorkingDirectory=/var/lib/cspr-bot \
  --property=BindReadOnlyPaths=-/etc/cspr-bot/cspr-bot.pem:/run/secrets/cspr-bot.pem \
  --setenv=CSPR_BOT_CONFIG=/etc/cspr-bot/cspr-bot.toml \
  /opt/cspr-bot/venv/bin/cspr-bot "$@"
