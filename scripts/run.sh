#!/usr/bin/env bash
# Start Command Center.
#
#   scripts/run.sh [--fake] [extra arguments for the app]
#
# Without ConnectionStrings__CommandCenter it starts a private PostgreSQL on
# 127.0.0.1:${CC_PG_PORT:-55432} (installing PostgreSQL with apt-get if needed) and uses
# database "commandcenter". Without Seed__AdminEmail it seeds admin@commandcenter.local
# with a password generated once and kept in .data/admin-password.
# --fake also starts the fake Anthropic upstream (tests/FakeAnthropic) on
# 127.0.0.1:${CC_FAKE_PORT:-5099} and points the app at it; a fake left running there by an
# earlier run is used as it is.
# Listens on ${CC_URLS:-http://127.0.0.1:5000}. When Command Center already answers there, it
# says so in one line and exits 0; when another program holds the address, it says so and exits 1.
# Both are checked before anything is installed, built or started.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$cc_root"

fake=0
args=()
for a in "$@"; do
  if [ "$a" = "--fake" ]; then fake=1; else args+=("$a"); fi
done

# --- already running? (before anything is installed, built, started or migrated)
url="${CC_URLS:-http://127.0.0.1:5000}"
IFS=';' read -r -a urls <<<"$url"
for u in "${urls[@]}"; do
  if ! parts="$(cc_url_parts "$u")"; then
    cc_die "CC_URLS: '$u' is not an http:// or https:// address with a numeric port"
    exit 1
  fi
  read -r scheme host port <<<"$parts"
  if cc_listening "$host" "$port"; then
    case "$host" in *:*) base="$scheme://[$host]:$port" ;; *) base="$scheme://$host:$port" ;; esac
    if cc_is_command_center "$base"; then
      cc_log "Command Center is already running at $base"
      exit 0
    fi
    cc_die "$base is in use by another program (not Command Center); stop it, or choose another address, e.g. CC_URLS=http://127.0.0.1:5001"
    exit 1
  fi
done

fake_running=0
if [ "$fake" = 1 ]; then
  fake_port="${CC_FAKE_PORT:-5099}"
  fake_url="http://127.0.0.1:$fake_port"
  if cc_listening 127.0.0.1 "$fake_port"; then
    # The fake answers this path with its name (tests/FakeAnthropic/MessagesHandler.cs).
    if [ "$(cc_http_get "$fake_url/fake-anthropic" || true)" = "Command Center's fake Anthropic upstream" ]; then
      fake_running=1
    else
      cc_die "port $fake_port is in use by another program (not the fake Anthropic upstream); stop it, or choose another port, e.g. CC_FAKE_PORT=5098"
      exit 1
    fi
  fi
fi

# --- database
if [ -z "${ConnectionStrings__CommandCenter:-}" ]; then
  cc_ensure_postgres
  cc_pg_create_db commandcenter
  export ConnectionStrings__CommandCenter="Host=127.0.0.1;Port=$CC_PG_PORT;Username=postgres;Database=commandcenter"
fi

# --- first administrator
password_note=""
if [ -z "${Seed__AdminEmail:-}" ]; then
  pwfile="$cc_root/.data/admin-password"
  mkdir -p "$cc_root/.data"
  if [ ! -s "$pwfile" ]; then
    raw="$(head -c 48 /dev/urandom | base64 -w0)"
    raw="${raw//[^A-Za-z0-9]/}"
    (umask 077 && printf 'Cc-%s9a\n' "${raw:0:16}" >"$pwfile")
  fi
  chmod 600 "$pwfile"
  IFS= read -r pw <"$pwfile" || true
  export Seed__AdminEmail="admin@commandcenter.local"
  export Seed__AdminPassword="$pw"
  password_note=" (stored in .data/admin-password)"
fi

# --- a first agent, so a first start can chat at once ("Assistant" on the current Sonnet, only when there is no agent)
export Seed__DefaultAgent="${Seed__DefaultAgent:-true}"

# --- the certificate that encrypts the Data Protection key ring (users' Anthropic keys) at rest
if [ -z "${DataProtection__CertificatePath:-}" ]; then
  certfile="$cc_root/.data/dataprotection.pfx"
  certpwfile="$cc_root/.data/dataprotection-password"
  if [ ! -s "$certfile" ] || [ ! -s "$certpwfile" ]; then
    if ! command -v openssl >/dev/null 2>&1; then
      cc_log "openssl not found; installing it with apt-get…"
      cc_apt_install openssl
    fi
    cc_log "creating the Data Protection certificate (.data/dataprotection.pfx)"
    mkdir -p "$cc_root/.data"
    work="$(mktemp -d)"
    (umask 077
      head -c 32 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' >"$certpwfile"
      openssl req -x509 -newkey rsa:3072 -sha256 -days 3650 -nodes -subj "/CN=Command Center Data Protection" \
        -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
      openssl pkcs12 -export -inkey "$work/key.pem" -in "$work/cert.pem" -out "$certfile" -passout "file:$certpwfile")
    rm -rf "$work"
  fi
  chmod 600 "$certfile" "$certpwfile"
  export DataProtection__CertificatePath="$certfile"
  DataProtection__CertificatePassword="$(cat "$certpwfile")"
  export DataProtection__CertificatePassword
fi

# --- fake Anthropic upstream
fake_pid=""
stop_fake() {
  if [ -n "$fake_pid" ] && kill -0 "$fake_pid" 2>/dev/null; then
    kill -TERM -- "-$fake_pid" 2>/dev/null || kill -TERM "$fake_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$fake_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$fake_pid" 2>/dev/null || true
  fi
}
if [ "$fake" = 1 ] && [ "$fake_running" = 1 ]; then
  # Left by an earlier run: used as it is, and left running when this one ends.
  cc_log "using the fake Anthropic upstream already running at $fake_url (stop it to start a fresh build)"
  export Anthropic__BaseUrl="$fake_url"
elif [ "$fake" = 1 ]; then
  mkdir -p "$cc_root/.data"
  fake_log="$cc_root/.data/fake-anthropic.log"
  cc_log "building and starting the fake Anthropic upstream on $fake_url (log: .data/fake-anthropic.log)"
  trap stop_fake EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  # Own process group, so the whole `dotnet run` tree can be stopped together.
  setsid dotnet run --project tests/FakeAnthropic -c Release -- --urls "$fake_url" \
    >"$fake_log" 2>&1 </dev/null &
  fake_pid=$!
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$fake_port") 2>/dev/null; then break; fi
    if ! kill -0 "$fake_pid" 2>/dev/null; then
      tail -n 30 "$fake_log" >&2 || true
      cc_die "the fake Anthropic upstream exited before it listened on $fake_url"
      exit 1
    fi
    sleep 0.5
  done
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$fake_port") 2>/dev/null; then
    cc_die "the fake Anthropic upstream did not listen on $fake_url within 150 s (log: $fake_log)"
    exit 1
  fi
  export Anthropic__BaseUrl="$fake_url"
fi

# --- the app
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Production}"
{
  echo
  echo "  Command Center  →  $url   (building first; Ctrl-C stops it)"
  if [ -n "$password_note" ]; then
    echo "  admin email:       $Seed__AdminEmail"
    echo "  admin password:    $Seed__AdminPassword$password_note"
  else
    echo "  admin:             $Seed__AdminEmail (from Seed__AdminEmail)"
  fi
  if [ "$fake" = 1 ]; then
    echo "  upstream:          FAKE Anthropic at $Anthropic__BaseUrl — replies are canned, any API key works"
  fi
  echo
} >&2

app=(dotnet run --project src/CommandCenter.Web -c Release --no-launch-profile -- --urls "$url" ${args[@]+"${args[@]}"})
if [ "$fake" = 1 ]; then
  # Not exec: the EXIT trap must stop the fake upstream when the app ends. The app runs
  # in the background so that Ctrl-C / SIGTERM to this script reach it at once.
  "${app[@]}" &
  app_pid=$!
  trap 'kill -TERM "$app_pid" 2>/dev/null || true' INT TERM
  rc=0
  while :; do
    wait "$app_pid" && rc=0 || rc=$?
    kill -0 "$app_pid" 2>/dev/null || break
  done
  exit "$rc"
else
  exec "${app[@]}"
fi
