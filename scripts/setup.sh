#!/usr/bin/env bash
# Idempotent set-up: installs what Hearth needs and is missing (Bun, ffmpeg, packages; with --test also
# nginx, Chromium and wrk), and starts PostgreSQL/Redis for the tests when they are installed but down.
# Safe to run any number of times; does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1
want_cdn=0
[ "${1:-}" = "--cdn" ] && want_cdn=1

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing ${missing[*]} from apt" >&2
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

if ! command -v bun >/dev/null 2>&1; then
  echo "setup: installing Bun from npm" >&2
  npm i -g bun >/dev/null
fi
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || apt_install ffmpeg
# `start.sh --cdn` runs infra/cdn.sh: the system's nginx.
[ $want_cdn = 0 ] || command -v nginx >/dev/null 2>&1 || apt_install nginx

if [ $want_test = 1 ]; then
  apt_install nginx chromium wrk postgresql redis-server fonts-dejavu-core docker-compose
  # Tests talk to the real servers; start them (as this machine's images do) when they are down.
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
  fi
fi

# Packages: frozen to the committed lockfile so every machine runs what CI ran.
if [ ! -d node_modules ] || [ bun.lock -nt node_modules/.hearth-installed ]; then
  bun install --frozen-lockfile
  touch node_modules/.hearth-installed
fi
