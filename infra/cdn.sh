#!/usr/bin/env bash
# Hearth's CDN on one machine: renders the nginx origin shield and edge for the given ports and upstreams,
# and runs them as child processes (never daemons) with everything they write under one directory.
#
#   infra/cdn.sh up     [options]   render both tiers, run them, stop both on Ctrl-C/SIGTERM (or if one dies)
#   infra/cdn.sh render [options]   only write DIR/{shield,edge}/conf/nginx.conf
#   infra/cdn.sh check  [options]   render, then `nginx -t` both
#   infra/cdn.sh serve shield|edge  render one tier and exec nginx in the foreground (containers)
#   infra/cdn.sh stop   [--dir DIR] stop what `up` started in DIR, by the PIDs it recorded
#
# Options (each also read from the environment variable in brackets):
#   --dir DIR              working directory: prefixes, configs, caches, logs, PIDs [CDN_DIR, default ./data/cdn]
#   --edge-port N          edge port [CDN_EDGE_PORT, 8088]
#   --shield-port N        shield port [CDN_SHIELD_PORT, 8089]
#   --bind ADDR            listen address of both tiers [CDN_BIND, 127.0.0.1]
#   --media LIST           media nodes as id=host:port,... ; the first is the default node
#                          [CDN_MEDIA, media-1=127.0.0.1:8083]
#   --web LIST             web tier host:port,... [CDN_WEB, 127.0.0.1:8080]
#   --manager LIST         manager host:port,... [CDN_MANAGER, 127.0.0.1:8081]
#   --chat LIST            chat nodes host:port,... [CDN_CHAT, 127.0.0.1:8082]
#   --shield-addr H:P      where the edge reaches the shield [CDN_SHIELD_ADDR, the shield's own address]
#   --workers N|auto       nginx worker processes per tier [CDN_WORKERS, auto]
#   --access-log on|off    access logs in DIR/<tier>/logs [CDN_ACCESS_LOG, on]
#   --cache-max SIZE       disk cache limit per tier [CDN_CACHE_MAX, 1g]
#   --live-lock MS         cache-lock timeout for LL-HLS blocking reloads and hinted parts, ~1.25 x the
#                          media nodes' part target [CDN_LIVE_LOCK_MS, 250] (see nginx/edge.conf.template)
# NGINX names the nginx binary (default: nginx from PATH). The URL scheme is described in infra/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NGINX=${NGINX:-nginx}
DIR=${CDN_DIR:-./data/cdn}
EDGE_PORT=${CDN_EDGE_PORT:-8088}
SHIELD_PORT=${CDN_SHIELD_PORT:-8089}
BIND=${CDN_BIND:-127.0.0.1}
MEDIA=${CDN_MEDIA:-media-1=127.0.0.1:8083}
WEB=${CDN_WEB:-127.0.0.1:8080}
MANAGER=${CDN_MANAGER:-127.0.0.1:8081}
CHAT=${CDN_CHAT:-127.0.0.1:8082}
SHIELD_ADDR=${CDN_SHIELD_ADDR:-}
WORKERS=${CDN_WORKERS:-auto}
ACCESS_LOG=${CDN_ACCESS_LOG:-on}
CACHE_MAX=${CDN_CACHE_MAX:-1g}
LIVE_LOCK_MS=${CDN_LIVE_LOCK_MS:-250}

die() { echo "cdn: $*" >&2; exit 2; }

cmd=${1:-}
[ -n "$cmd" ] || die "usage: cdn.sh up|render|check|serve shield|edge|stop [options] (see the header of $0)"
shift
tier=""
if [ "$cmd" = serve ]; then
  tier=${1:-}
  [ "$tier" = shield ] || [ "$tier" = edge ] || die "serve needs a tier: shield or edge"
  shift
fi
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || die "option $1 needs a value"
  case "$1" in
    --dir) DIR=$2 ;;
    --edge-port) EDGE_PORT=$2 ;;
    --shield-port) SHIELD_PORT=$2 ;;
    --bind) BIND=$2 ;;
    --media) MEDIA=$2 ;;
    --web) WEB=$2 ;;
    --manager) MANAGER=$2 ;;
    --chat) CHAT=$2 ;;
    --shield-addr) SHIELD_ADDR=$2 ;;
    --workers) WORKERS=$2 ;;
    --access-log) ACCESS_LOG=$2 ;;
    --cache-max) CACHE_MAX=$2 ;;
    --live-lock) LIVE_LOCK_MS=$2 ;;
    *) die "unknown option $1" ;;
  esac
  shift 2
done

# Everything that lands in a config is checked first: no value can smuggle in nginx syntax.
ADDR_RE='^([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$'
[[ $EDGE_PORT =~ ^[0-9]{1,5}$ ]] || die "bad edge port: $EDGE_PORT"
[[ $SHIELD_PORT =~ ^[0-9]{1,5}$ ]] || die "bad shield port: $SHIELD_PORT"
[[ $BIND =~ ^([0-9.]+|\[[0-9A-Fa-f:.]+\]|\*)$ ]] || die "bad bind address: $BIND"
[[ $WORKERS =~ ^([0-9]{1,3}|auto)$ ]] || die "bad worker count: $WORKERS"
[[ $ACCESS_LOG =~ ^(on|off)$ ]] || die "--access-log is on or off"
[[ $CACHE_MAX =~ ^[0-9]+[kKmMgG]?$ ]] || die "bad cache size: $CACHE_MAX"
[[ $LIVE_LOCK_MS =~ ^[0-9]{1,5}$ ]] || die "bad live lock timeout (ms): $LIVE_LOCK_MS"
LIVE_LOCK="${LIVE_LOCK_MS}ms"
if [ -z "$SHIELD_ADDR" ]; then
  if [ "$BIND" = "0.0.0.0" ] || [ "$BIND" = "*" ]; then SHIELD_ADDR="127.0.0.1:$SHIELD_PORT"; else SHIELD_ADDR="$BIND:$SHIELD_PORT"; fi
fi
[[ $SHIELD_ADDR =~ $ADDR_RE ]] || die "bad shield address: $SHIELD_ADDR"

# "a:1,b:2" → one `server a:1;` line per address.
server_lines() {
  local what=$1 list=$2 out="" addr
  IFS=, read -r -a addrs <<<"$list"
  [ ${#addrs[@]} -gt 0 ] || die "no $what address"
  for addr in "${addrs[@]}"; do
    [[ $addr =~ $ADDR_RE ]] || die "bad $what address: $addr"
    out+="        server $addr;"$'\n'
  done
  printf '%s' "${out%$'\n'}"
}

# The media node list becomes one upstream per node and the maps that route /hls/<nodeId>/ and /whip/<nodeId>/.
render_media() {
  local entry id addr up first=""
  MEDIA_UPSTREAMS="" HLS_UPSTREAM_MAP="" HLS_PATH_MAP="        default \$uri;"
  WHIP_UPSTREAM_MAP="" WHIP_PATH_MAP="        default \$uri;" WHIP_PREFIX_MAP="        default \"\";"
  IFS=, read -r -a entries <<<"$MEDIA"
  [ ${#entries[@]} -gt 0 ] || die "no media node"
  for entry in "${entries[@]}"; do
    id=${entry%%=*}
    addr=${entry#*=}
    [[ $id =~ ^[a-z0-9-]{1,64}$ ]] || die "bad media node id '$id' (1-64 of a-z, 0-9, -)"
    [[ $addr =~ $ADDR_RE ]] || die "bad media address for $id: $addr"
    up="origin_${id//-/_}"
    [ -n "$first" ] || first=$up
    MEDIA_UPSTREAMS+="    upstream $up {"$'\n'"        server $addr;"$'\n'"        keepalive 32;"$'\n'"    }"$'\n'
    HLS_UPSTREAM_MAP+=$'\n'"        $id $up;"
    HLS_PATH_MAP+=$'\n'"        $id /hls/\$hls_rest;"
    WHIP_UPSTREAM_MAP+=$'\n'"        $id $up;"
    WHIP_PATH_MAP+=$'\n'"        $id /whip\$whip_rest;"
    WHIP_PREFIX_MAP+=$'\n'"        $id /$id;"
  done
  HLS_UPSTREAM_MAP="        default $first;$HLS_UPSTREAM_MAP"
  WHIP_UPSTREAM_MAP="        default $first;$WHIP_UPSTREAM_MAP"
}

# Fills @@NAME@@ in a template with the shell variables of the same names.
fill() {
  local text name
  text=$(<"$1")
  for name in USER WORKERS ERROR_LOG_LINE ACCESS_LOG_LINE COLLAPSE_LOG_LINE COLLAPSE_SOCK CACHE_MAX LIVE_LOCK BIND EDGE_PORT SHIELD_PORT SHIELD_ADDR MEDIA_UPSTREAMS \
    HLS_UPSTREAM_MAP HLS_PATH_MAP WHIP_UPSTREAM_MAP WHIP_PATH_MAP WHIP_PREFIX_MAP MANAGER_SERVERS WEB_SERVERS \
    CHAT_SERVERS; do
    text=${text//"@@$name@@"/${!name}}
  done
  [[ $text != *@@* ]] || die "unfilled placeholder in $1"
  printf '%s\n' "$text"
}

render_tier() {
  local t=$1 prefix="$DIR/$1"
  mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/tmp" "$prefix/cache"
  cp "$HERE"/nginx/*.conf "$prefix/conf/"
  # The tier's collapse stage listens here; a socket left by a killed nginx would block the next start.
  COLLAPSE_SOCK="$prefix/tmp/collapse.sock"
  [ "$cmd" = render ] || [ "$cmd" = check ] || rm -f "$COLLAPSE_SOCK"
  fill "$HERE/nginx/$t.conf.template" >"$prefix/conf/nginx.conf"
}

render() {
  mkdir -p "$DIR"
  DIR=$(cd "$DIR" && pwd)
  # As root, nginx would hand its workers to "nobody", who cannot write this directory: keep our user.
  USER=""
  [ "$(id -u)" != 0 ] || USER="user $(id -un) $(id -gn);"
  ERROR_LOG_LINE="logs/error.log warn"
  if [ "$ACCESS_LOG" = on ]; then ACCESS_LOG_LINE="logs/access.log cdn buffer=64k flush=1s"; else ACCESS_LOG_LINE="off"; fi
  if [ "$ACCESS_LOG" = on ]; then COLLAPSE_LOG_LINE="logs/collapse.log cdn buffer=64k flush=1s"; else COLLAPSE_LOG_LINE="off"; fi
  # In a container the logs belong on the standard streams, where `docker compose logs` finds them.
  if [ "$cmd" = serve ]; then
    ERROR_LOG_LINE="stderr warn"
    [ "$ACCESS_LOG" != on ] || ACCESS_LOG_LINE="/dev/stdout cdn"
    [ "$ACCESS_LOG" != on ] || COLLAPSE_LOG_LINE="/dev/stdout cdn"
  fi
  render_media
  MANAGER_SERVERS=$(server_lines manager "$MANAGER")
  WEB_SERVERS=$(server_lines web "$WEB")
  CHAT_SERVERS=$(server_lines chat "$CHAT")
  if [ -n "$tier" ]; then render_tier "$tier"; else render_tier shield; render_tier edge; fi
}

# The nginx command line for a tier: its own prefix, error log and PID file; no daemon.
nginx_args() {
  local prefix="$DIR/$1" errors="$DIR/$1/logs/error.log"
  [ "$cmd" != serve ] || errors=stderr
  printf '%s\n' -p "$prefix/" -c "$prefix/conf/nginx.conf" -e "$errors" \
    -g "daemon off; pid $prefix/logs/nginx.pid;"
}

pids=()
workers=()
# Workers outlive a master that dies (they keep the port open): remember them while the masters live.
remember_workers() {
  local pid w
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || continue
    for w in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do workers+=("$w"); done
  done
}

stop_children() {
  local pid i ppid
  remember_workers
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for pid in "${workers[@]}"; do
    # Only an nginx process orphaned from one of ours (or still under it); a recycled PID is left alone.
    [[ "$(cat /proc/"$pid"/cmdline 2>/dev/null | tr '\0' ' ')" == nginx:* ]] || continue
    ppid=$(awk '{print $4}' /proc/"$pid"/stat 2>/dev/null || echo 0)
    [[ " 1 ${pids[*]} " == *" $ppid "* ]] && kill -KILL "$pid" 2>/dev/null || true
  done
  rm -f "$DIR/cdn.pid" "$DIR/shield.pid" "$DIR/edge.pid"
}

wait_healthy() {
  local url=$1 i
  for i in $(seq 100); do
    curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "cdn: $url did not come up; see $DIR/*/logs/error.log" >&2
  return 1
}

case "$cmd" in
  render)
    render
    echo "cdn: rendered $DIR/shield/conf/nginx.conf and $DIR/edge/conf/nginx.conf"
    ;;
  check)
    render
    for t in shield edge; do mapfile -t args < <(nginx_args "$t"); "$NGINX" -t -q "${args[@]}"; done
    echo "cdn: both configurations are valid"
    ;;
  serve)
    render
    mapfile -t args < <(nginx_args "$tier")
    # Containers: nginx replaces this shell, so it receives the stop signal itself.
    exec "$NGINX" "${args[@]}"
    ;;
  up)
    render
    trap 'stop_children; exit 0' TERM INT
    for t in shield edge; do
      mapfile -t args < <(nginx_args "$t")
      "$NGINX" "${args[@]}" &
      pids+=($!)
      echo "$!" >"$DIR/$t.pid"
    done
    echo "$$" >"$DIR/cdn.pid"
    host=$BIND
    [ "$host" != "0.0.0.0" ] && [ "$host" != "*" ] || host=127.0.0.1
    if ! wait_healthy "http://$SHIELD_ADDR/healthz" || ! wait_healthy "http://$host:$EDGE_PORT/healthz"; then
      stop_children
      exit 1
    fi
    remember_workers
    echo "cdn: ready edge=http://$host:$EDGE_PORT shield=http://$SHIELD_ADDR dir=$DIR"
    # Either tier ending on its own takes the other down: half a CDN is worse than none.
    set +e
    wait -n "${pids[@]}"
    code=$?
    echo "cdn: a tier exited (status $code); stopping" >&2
    stop_children
    exit 1
    ;;
  stop)
    mkdir -p "$DIR"
    DIR=$(cd "$DIR" && pwd)
    if [ -f "$DIR/cdn.pid" ] && kill -0 "$(cat "$DIR/cdn.pid")" 2>/dev/null; then
      kill -TERM "$(cat "$DIR/cdn.pid")"
      for _ in $(seq 100); do [ -f "$DIR/cdn.pid" ] || break; sleep 0.1; done
    fi
    for t in shield edge; do
      [ -f "$DIR/$t.pid" ] || continue
      pid=$(cat "$DIR/$t.pid")
      # Only if that PID is still an nginx: a recycled PID belongs to someone else.
      [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != nginx ] || kill -TERM "$pid" 2>/dev/null || true
      rm -f "$DIR/$t.pid"
    done
    echo "cdn: stopped"
    ;;
  *) die "unknown command $cmd" ;;
esac
