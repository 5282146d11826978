#!/bin/sh
# Writes Alertmanager's configuration from environment variables, then starts it. Alertmanager itself
# reads no environment variables; secrets go to files its configuration names (*_file), never into
# the configuration text. Receivers:
#   ALERT_WEBHOOK_URL                   every alert is POSTed there (Alertmanager's webhook JSON)
#   ALERT_EMAIL_TO, ALERT_EMAIL_FROM,   critical alerts are mailed too
#   ALERT_SMTP_SMARTHOST (host:port), ALERT_SMTP_USERNAME, ALERT_SMTP_PASSWORD
# With neither set, alerts are only shown in Alertmanager's UI (receiver "none").
set -eu
config_dir="${ALERTMANAGER_CONFIG_DIR:-/alertmanager/config}"
mkdir -p "$config_dir"
umask 077
config="$config_dir/alertmanager.yml"

webhook="${ALERT_WEBHOOK_URL:-}"
email_to="${ALERT_EMAIL_TO:-}"
default_receiver=none
[ -n "$webhook" ] && default_receiver=webhook
[ -z "$webhook" ] && [ -n "$email_to" ] && default_receiver=email

{
  echo "# Written by alertmanager-entrypoint.sh at container start; edit the environment, not this file."
  echo "route:"
  echo "  receiver: $default_receiver"
  echo "  group_by: [alertname, severity]"
  echo "  group_wait: 30s"
  echo "  group_interval: 5m"
  echo "  repeat_interval: 4h"
  if [ -n "$email_to" ] && [ "$default_receiver" != email ]; then
    echo "  routes:"
    echo "    - receiver: email"
    echo "      matchers: ['severity=\"critical\"']"
    echo "      continue: true"
    # A matching child route replaces the parent's receiver: route everything on to it explicitly.
    echo "    - receiver: $default_receiver"
  fi
  echo "inhibit_rules:"
  echo "  # While every API process is down, the alerts they would raise say nothing new."
  echo "  - source_matchers: ['alertname=\"SwitchyardApiAbsent\"']"
  echo "    target_matchers: ['alertname=~\"SwitchyardApiDown|SwitchyardWorkersMissing\"']"
  echo "receivers:"
  echo "  - name: none"
  if [ -n "$webhook" ]; then
    printf %s "$webhook" > "$config_dir/webhook-url"
    echo "  - name: webhook"
    echo "    webhook_configs:"
    echo "      - url_file: $config_dir/webhook-url"
    echo "        send_resolved: true"
  fi
  if [ -n "$email_to" ]; then
    : "${ALERT_EMAIL_FROM:?set ALERT_EMAIL_FROM with ALERT_EMAIL_TO}"
    : "${ALERT_SMTP_SMARTHOST:?set ALERT_SMTP_SMARTHOST (host:port) with ALERT_EMAIL_TO}"
    echo "  - name: email"
    echo "    email_configs:"
    echo "      - to: '$(printf %s "$email_to" | sed "s/'/''/g")'"
    echo "        from: '$(printf %s "$ALERT_EMAIL_FROM" | sed "s/'/''/g")'"
    echo "        smarthost: '$(printf %s "$ALERT_SMTP_SMARTHOST" | sed "s/'/''/g")'"
    echo "        send_resolved: true"
    if [ -n "${ALERT_SMTP_USERNAME:-}" ]; then
      printf %s "${ALERT_SMTP_PASSWORD:-}" > "$config_dir/smtp-password"
      echo "        auth_username: '$(printf %s "$ALERT_SMTP_USERNAME" | sed "s/'/''/g")'"
      echo "        auth_password_file: $config_dir/smtp-password"
    fi
  fi
} > "$config"

[ "${1:-}" = "--render-only" ] && exit 0
exec /bin/alertmanager --config.file="$config" --storage.path=/alertmanager "$@"
