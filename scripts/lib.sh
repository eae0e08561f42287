# shellcheck shell=bash
# Shared helpers for scripts/run.sh and scripts/test.sh. Source it; don't run it.
#
#   cc_root                  repo root (variable; also a function that prints it)
#   cc_log MSG…              progress message to stderr, prefixed "==>"
#   cc_ensure_postgres       private PostgreSQL on 127.0.0.1:${CC_PG_PORT:-55432};
#                            exports CC_PG_ADMIN, CC_PG_PORT, CC_PG_BIN, CC_PG_DATA
#   cc_pg_create_db NAME     create database NAME in that cluster if missing
#   cc_pg_stop               stop that cluster (not used by the scripts; handy by hand)
#   cc_ensure_chromium       install Debian's chromium if /usr/bin/chromium is missing
#   cc_ensure_nginx          install Debian's nginx if /usr/sbin/nginx is missing (the two-instance tests run their own)
#   cc_ensure_node           install Debian's nodejs and npm if node or npm is missing (the official-client tests)
#   cc_count_trx DIR         print "PASSED FAILED SKIPPED FILES" summed over DIR/**/*.trx
#   cc_url_parts URL         print "SCHEME HOST PORT" of an http(s) URL (HOST without brackets; a wildcard host as 127.0.0.1)
#   cc_listening HOST PORT   is something accepting connections there? (3 s at most)
#   cc_http_get URL          print the body of GET URL (curl, else bash's /dev/tcp for http://); fails when nothing answers
#   cc_is_command_center URL is Command Center answering at this base URL?
#
# Safe under `set -euo pipefail`.

cc_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cc_root() { printf '%s\n' "$cc_root"; }

cc_log() { printf '==> %s\n' "$*" >&2; }
cc_die() { printf '==> ERROR: %s\n' "$*" >&2; return 1; }

cc_is_root() { [ "$(id -u)" -eq 0 ]; }

# Run a command as root: directly when we are root, otherwise through sudo.
cc_sudo() {
  if cc_is_root; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    cc_die "need root to run '$*' but sudo is not installed"
  fi
}

# apt-get install with a wait for the dpkg lock (another apt-get may be running); runs
# `apt-get update` only when the first attempt fails (e.g. empty package lists), then
# retries once. apt's chatter goes to a log file, shown only when it fails.
cc_apt_install() {
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -q
    -o DPkg::Lock::Timeout=300 -o Acquire::Retries=2)
  local log
  log="$(mktemp "${TMPDIR:-/tmp}/commandcenter-apt.XXXXXX")"
  if cc_sudo "${apt[@]}" install --no-install-recommends "$@" >"$log" 2>&1; then
    rm -f "$log"; return 0
  fi
  cc_log "apt-get install $* failed; running apt-get update and retrying"
  cc_sudo "${apt[@]}" update >>"$log" 2>&1 || cc_log "apt-get update reported errors (continuing)"
  if cc_sudo "${apt[@]}" install --no-install-recommends "$@" >>"$log" 2>&1; then
    rm -f "$log"; return 0
  fi
  tail -n 25 "$log" >&2
  cc_log "full apt-get output: $log"
  return 1
}

# ---------------------------------------------------------------- PostgreSQL

# Newest /usr/lib/postgresql/*/bin (or the one matching an existing data folder).
cc__pg_find_bin() {
  local want="${1:-}" d best="" best_v=0 v
  if [ -n "$want" ] && [ -x "/usr/lib/postgresql/$want/bin/pg_ctl" ]; then
    printf '%s\n' "/usr/lib/postgresql/$want/bin"
    return 0
  fi
  for d in /usr/lib/postgresql/*/bin; do
    if [ ! -x "$d/pg_ctl" ] || [ ! -x "$d/initdb" ]; then continue; fi
    v="${d#/usr/lib/postgresql/}"; v="${v%%/*}"; v="${v%%.*}"
    case "$v" in ''|*[!0-9]*) continue ;; esac
    if [ "$v" -gt "$best_v" ]; then best_v="$v"; best="$d"; fi
  done
  [ -n "$best" ] || return 1
  printf '%s\n' "$best"
}

# Run a PostgreSQL server-side command as the user that owns the cluster.
# As root that is `postgres` (the server refuses to run as root), from "/" so that
# an unreachable current directory does not matter.
cc__pg_as_owner() {
  if cc_is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Is something listening on 127.0.0.1:$1?
cc__port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

cc__pg_psql() {
  PGCONNECT_TIMEOUT=5 "$CC_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$CC_PG_PORT" -U postgres -d postgres "$@"
}

# Work out CC_PG_BIN / CC_PG_DATA / socket folder without touching anything.
cc__pg_locate() {
  CC_PG_PORT="${CC_PG_PORT:-55432}"
  case "$CC_PG_PORT" in ''|*[!0-9]*) cc_die "CC_PG_PORT must be a number (got '$CC_PG_PORT')"; return 1 ;; esac
  if cc_is_root; then
    local hash
    hash="$(printf '%s' "$cc_root" | sha256sum | cut -c1-10)"
    CC_PG_DATA="/var/tmp/commandcenter-pg-$hash"
  else
    CC_PG_DATA="$cc_root/.data/pg"
  fi
  # Unix socket paths are limited to ~107 bytes; fall back to /tmp for deep repos.
  if [ $(( ${#CC_PG_DATA} + 20 )) -lt 100 ]; then
    CC_PG_SOCKDIR="$CC_PG_DATA"
  else
    CC_PG_SOCKDIR="/tmp"
  fi
  export CC_PG_PORT CC_PG_DATA
}

cc_ensure_postgres() {
  cc__pg_locate || return 1

  local version=""
  if [ -f "$CC_PG_DATA/PG_VERSION" ]; then version="$(cat "$CC_PG_DATA/PG_VERSION")"; fi
  CC_PG_BIN="$(cc__pg_find_bin "$version" || true)"
  if [ -z "$CC_PG_BIN" ]; then
    cc_log "PostgreSQL not found; installing it with apt-get (about a minute)…"
    cc_apt_install postgresql || { cc_die "could not install PostgreSQL (apt-get install postgresql)"; return 1; }
    CC_PG_BIN="$(cc__pg_find_bin "$version" || true)"
    [ -n "$CC_PG_BIN" ] || { cc_die "PostgreSQL installed but no /usr/lib/postgresql/*/bin/pg_ctl found"; return 1; }
  fi
  export CC_PG_BIN
  export CC_PG_ADMIN="Host=127.0.0.1;Port=$CC_PG_PORT;Username=postgres;Database=postgres"

  if cc_is_root && ! id postgres >/dev/null 2>&1; then
    cc_die "running as root but there is no 'postgres' user to run the server as"; return 1
  fi

  # Fast path: our cluster is already up on the wanted port.
  if [ "$(cc__pg_running_port)" = "$CC_PG_PORT" ] &&
     "$CC_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$CC_PG_PORT"; then
    cc_log "PostgreSQL already running on 127.0.0.1:$CC_PG_PORT ($CC_PG_DATA)"
    cc__pg_link_data
    return 0
  fi

  # Serialise concurrent callers (two scripts starting at once) per data folder.
  local lockfile="$CC_PG_DATA.lock" lockfd rc=0
  mkdir -p "$(dirname "$CC_PG_DATA")"
  exec {lockfd}>>"$lockfile"
  flock -w 120 "$lockfd" || { exec {lockfd}>&-; cc_die "timed out waiting for $lockfile"; return 1; }
  CC__PG_LOCKFD="$lockfd"
  cc__pg_ensure_locked || rc=$?
  exec {lockfd}>&-
  unset CC__PG_LOCKFD
  return "$rc"
}

# Port of the running server of our data folder (from postmaster.pid), or nothing.
cc__pg_running_port() {
  [ -f "$CC_PG_DATA/postmaster.pid" ] || return 0
  cc__pg_as_owner "$CC_PG_BIN/pg_ctl" status -D "$CC_PG_DATA" >/dev/null 2>&1 || return 0
  sed -n '4p' "$CC_PG_DATA/postmaster.pid" 2>/dev/null || true
}

# <repo>/.data/pg -> the real data folder, when it lives elsewhere (root case).
cc__pg_link_data() {
  [ "$CC_PG_DATA" = "$cc_root/.data/pg" ] && return 0
  mkdir -p "$cc_root/.data"
  if [ -L "$cc_root/.data/pg" ] || [ ! -e "$cc_root/.data/pg" ]; then
    ln -sfn "$CC_PG_DATA" "$cc_root/.data/pg"
  fi
}

cc__pg_ensure_locked() {
  local port="$CC_PG_PORT" data="$CC_PG_DATA"

  # Somebody else may have started it while we waited for the lock.
  local running
  running="$(cc__pg_running_port)"
  if [ -n "$running" ]; then
    if [ "$running" = "$port" ] && "$CC_PG_BIN/pg_isready" -q -t 10 -h 127.0.0.1 -p "$port"; then
      cc_log "PostgreSQL already running on 127.0.0.1:$port ($data)"
      cc__pg_link_data
      return 0
    fi
    cc_die "this repo's PostgreSQL ($data) is already running on port $running, not on 127.0.0.1:$port. Use CC_PG_PORT=$running, or stop it first: source scripts/lib.sh; CC_PG_PORT=$running cc_pg_stop"
    return 1
  fi

  # Port already taken by something that is not our cluster?
  if cc__port_open "$port"; then
    if "$CC_PG_BIN/pg_isready" -q -t 5 -h 127.0.0.1 -p "$port" &&
       cc__pg_psql -tAc 'select 1' >/dev/null 2>&1; then
      cc_log "using the PostgreSQL already listening on 127.0.0.1:$port (not started by this repo)"
      return 0
    fi
    cc_die "port $port on 127.0.0.1 is taken by another program (not a PostgreSQL we can log into as 'postgres' without a password). Stop it, or choose another port, e.g. CC_PG_PORT=55433"
    return 1
  fi

  # Create and initialise the data folder.
  if [ ! -f "$data/PG_VERSION" ]; then
    cc_log "initialising a private PostgreSQL cluster in $data"
    mkdir -p "$data"
    if cc_is_root; then chown postgres:postgres "$data"; fi
    chmod 700 "$data"
    if ! cc__pg_as_owner "$CC_PG_BIN/initdb" -D "$data" -A trust -U postgres \
          --encoding=UTF8 --locale=C.UTF-8 >"$data.initdb.log" 2>&1; then
      cc_log "initdb with locale C.UTF-8 failed; retrying with locale C"
      find "$data" -mindepth 1 -delete
      if ! cc__pg_as_owner "$CC_PG_BIN/initdb" -D "$data" -A trust -U postgres \
            --encoding=UTF8 --locale=C >"$data.initdb.log" 2>&1; then
        cat "$data.initdb.log" >&2
        cc_die "initdb failed (log: $data.initdb.log)"; return 1
      fi
    fi
    rm -f "$data.initdb.log"
  elif cc_is_root; then
    chown postgres:postgres "$data"; chmod 700 "$data"
  fi
  cc__pg_link_data

  cc_log "starting PostgreSQL on 127.0.0.1:$port"
  # (the server must not inherit the lock's file descriptor, or it would hold the lock forever)
  if ! cc__pg_as_owner "$CC_PG_BIN/pg_ctl" start -w -t 60 -D "$data" -l "$data/server.log" \
        -o "-p $port -k $CC_PG_SOCKDIR -c listen_addresses=127.0.0.1" \
        >/dev/null {CC__PG_LOCKFD}>&-; then
    tail -n 20 "$data/server.log" >&2 2>/dev/null || true
    cc_die "PostgreSQL did not start (log: $data/server.log)"; return 1
  fi
  if ! "$CC_PG_BIN/pg_isready" -q -t 20 -h 127.0.0.1 -p "$port"; then
    cc_die "PostgreSQL started but does not answer on 127.0.0.1:$port (log: $data/server.log)"; return 1
  fi
  cc_log "PostgreSQL is up: $CC_PG_ADMIN"
}

cc_pg_create_db() {
  local name="${1:?usage: cc_pg_create_db NAME}"
  [ -n "${CC_PG_BIN:-}" ] || cc_ensure_postgres || return 1
  local exists
  exists="$(cc__pg_psql -tA -v name="$name" <<'SQL'
select 1 from pg_database where datname = :'name';
SQL
)" || { cc_die "cannot query databases on 127.0.0.1:$CC_PG_PORT"; return 1; }
  if [ "$exists" = "1" ]; then
    return 0
  fi
  cc_log "creating database $name"
  cc__pg_psql -v name="$name" <<'SQL'
create database :"name";
SQL
}

cc_pg_stop() {
  cc__pg_locate || return 1
  local version=""
  [ -f "$CC_PG_DATA/PG_VERSION" ] && version="$(cat "$CC_PG_DATA/PG_VERSION")"
  CC_PG_BIN="$(cc__pg_find_bin "$version")" || return 1
  cc__pg_as_owner "$CC_PG_BIN/pg_ctl" stop -w -m fast -D "$CC_PG_DATA"
}

# ------------------------------------------------------------------ Chromium

cc_ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then
    return 0
  fi
  cc_log "installing Chromium (about a minute)…"
  cc_apt_install chromium || { cc_die "could not install chromium (apt-get install chromium)"; return 1; }
  [ -x /usr/bin/chromium ] || { cc_die "chromium installed but /usr/bin/chromium is missing"; return 1; }
  cc_log "Chromium installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
}

# ------------------------------------------------------------------ nginx

cc_ensure_nginx() {
  if [ -x /usr/sbin/nginx ]; then
    return 0
  fi
  cc_log "installing nginx…"
  cc_apt_install nginx || { cc_die "could not install nginx (apt-get install nginx)"; return 1; }
  [ -x /usr/sbin/nginx ] || { cc_die "nginx installed but /usr/sbin/nginx is missing"; return 1; }
  # The package may start the system's nginx on port 80; the tests start their own on a free port.
  cc_sudo /usr/sbin/nginx -s quit >/dev/null 2>&1 || true
  cc_log "nginx installed: $(/usr/sbin/nginx -v 2>&1)"
}

# ------------------------------------------------------------------ Node.js

# The official-client tests (tests/E2E/Clients) run `npm ci` there themselves and then node and Claude Code.
# Machines of this kind come with Node.js 20 and npm 11; a bare Debian 12 gets its own nodejs 18 and npm 9,
# which install the pinned packages, though the TypeScript SDK supports Node.js 20 or later only.
cc_ensure_node() {
  local missing=()
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ "${#missing[@]}" -gt 0 ]; then
    cc_log "installing ${missing[*]}…"
    cc_apt_install "${missing[@]}" || { cc_die "could not install ${missing[*]} (apt-get install ${missing[*]})"; return 1; }
  fi
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    cc_die "node or npm still missing after apt-get install"; return 1
  fi
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$major" -lt 20 ]; then
    cc_log "warning: Node.js $(node --version) is older than 20, which the Anthropic TypeScript SDK needs"
  fi
}

# ------------------------------------------------------------------ what is on a port

cc_url_parts() {
  local url="${1:?usage: cc_url_parts URL}" scheme rest hostport host port
  case "$url" in
    http://*) scheme=http ;;
    https://*) scheme=https ;;
    *) return 1 ;;
  esac
  rest="${url#*://}"
  hostport="${rest%%/*}"
  case "$hostport" in
    \[*\]:*) host="${hostport%%\]:*}"; host="${host#\[}"; port="${hostport##*\]:}" ;;
    \[*\]) host="${hostport#\[}"; host="${host%\]}"; port="" ;;
    *:*) host="${hostport%:*}"; port="${hostport##*:}" ;;
    *) host="$hostport"; port="" ;;
  esac
  if [ -z "$port" ]; then
    if [ "$scheme" = https ]; then port=443; else port=80; fi
  fi
  case "$port" in ''|*[!0-9]*) return 1 ;; esac
  # Kestrel's "any address" forms are reached on loopback.
  case "$host" in ''|'*'|'+'|0.0.0.0|::) host=127.0.0.1 ;; esac
  printf '%s %s %s\n' "$scheme" "$host" "$port"
}

cc_listening() {
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "${1:?usage: cc_listening HOST PORT}" "${2:?usage: cc_listening HOST PORT}" 2>/dev/null
}

cc_http_get() {
  local url="${1:?usage: cc_http_get URL}"
  if command -v curl >/dev/null 2>&1; then
    curl -sS -k --max-time 3 "$url" 2>/dev/null
    return
  fi
  # No curl (a bare Debian): HTTP/1.0 by hand, which Kestrel answers without chunking.
  local parts scheme host port rest path
  parts="$(cc_url_parts "$url")" || return 1
  read -r scheme host port <<<"$parts"
  [ "$scheme" = http ] || return 1
  rest="${url#*://}"
  path="/"
  case "$rest" in */*) path="/${rest#*/}" ;; esac
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n" "$2" "$0:$1" >&3
    cat <&3' "$host" "$port" "$path" 2>/dev/null | tr -d '\r' | sed '1,/^$/d'
}

# Its liveness probe says Healthy, and its API answers with problem documents that carry an "error" string.
cc_is_command_center() {
  local base="${1%/}" live api
  live="$(cc_http_get "$base/health/live")" || return 1
  [ "$live" = "Healthy" ] || return 1
  api="$(cc_http_get "$base/api/agents")" || return 1
  [[ "$api" == *'"error"'* ]]
}

# ------------------------------------------------------------------ TRX files

# cc_count_trx DIR -> prints "PASSED FAILED SKIPPED FILES".
# Sums <Counters/> of every .trx under DIR. failed includes error/timeout/aborted;
# skipped = total - executed (how xunit's VSTest adapter reports skips; it leaves
# notExecuted at 0), or notExecuted + inconclusive + notRunnable if larger. Files
# without <Counters/> are counted from their <UnitTestResult outcome="…"> elements.
cc_count_trx() {
  local dir="${1:?usage: cc_count_trx DIR}"
  local -a files=()
  if [ -d "$dir" ]; then
    mapfile -d '' files < <(find "$dir" -type f -name '*.trx' -print0 | sort -z)
  fi
  if [ "${#files[@]}" -eq 0 ]; then
    echo "0 0 0 0"
    return 0
  fi
  awk -v nfiles="${#files[@]}" '
    function attr(s, name,   re, m) {
      re = "[[:space:]]" name "=\"[0-9]+\""
      if (match(s, re)) { m = substr(s, RSTART, RLENGTH); gsub(/[^0-9]/, "", m); return m + 0 }
      return 0
    }
    FNR == 1 {
      if (NR > 1) flush()
      buf = ""
    }
    { buf = buf $0 "\n" }
    function flush(   c, k, rest, o) {
      if (match(buf, /<Counters[^>]*>/)) {
        c = substr(buf, RSTART, RLENGTH)
        P += attr(c, "passed") + attr(c, "passedButRunAborted")
        F += attr(c, "failed") + attr(c, "error") + attr(c, "timeout") + attr(c, "aborted")
        # xunit skips show up as total - executed (notExecuted stays 0).
        k = attr(c, "notExecuted") + attr(c, "inconclusive") + attr(c, "notRunnable")
        if (attr(c, "total") - attr(c, "executed") > k) k = attr(c, "total") - attr(c, "executed")
        S += k
      } else {
        rest = buf
        while (match(rest, /<UnitTestResult[^>]*outcome="[A-Za-z]+"/)) {
          o = substr(rest, RSTART, RLENGTH); rest = substr(rest, RSTART + RLENGTH)
          sub(/.*outcome="/, "", o); sub(/"$/, "", o)
          if (o == "Passed") P++
          else if (o == "NotExecuted" || o == "Inconclusive" || o == "NotRunnable") S++
          else F++
        }
      }
    }
    END { flush(); printf "%d %d %d %d\n", P, F, S, nfiles }
  ' "${files[@]}"
}
