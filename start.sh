#!/usr/bin/env bash
# Start gatehouse: install uv if missing, install the locked dependencies, apply
# the migrations, create the first superuser when one is configured, then serve
# and, once the server answers, print where things are.
#
#   ./start.sh                  development: SQLite in .gatehouse/, auto-reload
#   PORT=9000 ./start.sh        another port (HOST defaults to 0.0.0.0)
#   ENVIRONMENT=production DATABASE_URL=postgresql://... SECRET_KEY=... ./start.sh
#
# Settings come from the environment and .env (see .env.example).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

# The value of NAME in .env (the last assignment), without quotes or comment.
dotenv_value() {
    [[ -f .env ]] || return 0
    sed -n -E "s/^[[:space:]]*(export[[:space:]]+)?$1[[:space:]]*=[[:space:]]*//p" .env |
        tail -n 1 |
        sed -E -e 's/[[:space:]]+#.*$//' -e 's/^["'\'']//' -e 's/["'\'']$//'
}

# NAME from the environment, else from .env, else DEFAULT (as the app reads it).
setting() {
    local name=$1 default=$2 value
    value=${!name:-}
    if [[ -z $value ]]; then
        value=$(dotenv_value "$name")
    fi
    printf '%s' "${value:-$default}"
}

banner() {
    printf '\n==> %s\n' "$*" >&2
}

uv_command=(uv)
if ! command -v uv >/dev/null 2>&1; then
    banner "uv not found: installing it with pip"
    python3 -m pip install uv
    # pip may put the executable outside PATH (or behind a pyenv shim not yet
    # rehashed); the module always works.
    if ! command -v uv >/dev/null 2>&1; then
        uv_command=(python3 -m uv)
    fi
fi

host=$(setting HOST 0.0.0.0)
port=$(setting PORT 8000)
environment=$(setting ENVIRONMENT development)

# Serving needs no development tools (ruff, mypy, schemathesis, pytest).
sync_options=(--frozen)
if [[ $environment == production ]]; then
    sync_options+=(--no-dev)
fi
banner "Installing the locked dependencies (uv sync ${sync_options[*]})"
"${uv_command[@]}" sync "${sync_options[@]}"

# A configuration problem or an unreachable database stops here, in one line
# per problem, with exit status 2 (set -e passes it on).
banner "Applying database migrations (python -m commands.migrate)"
"${uv_command[@]}" run --no-sync python -m commands.migrate

# Exits quietly when FIRST_SUPERUSER_EMAIL is not set; idempotent when it is.
"${uv_command[@]}" run --no-sync python -m commands.create_superuser --if-configured

# Client addresses behind a reverse proxy are taken from X-Forwarded-For by the
# app itself, and only from TRUSTED_PROXIES: uvicorn must not rewrite them first.
server_options=(--host "$host" --port "$port" --no-proxy-headers)
if [[ $environment == development ]]; then
    server_options+=(--reload --reload-dir app)
else
    # Worker processes (more than one needs REDIS_URL: shared rate limits and
    # caches) and a bounded graceful stop, as `python -m app.serve` serves.
    server_options+=(
        --workers "$(setting WEB_CONCURRENCY 1)"
        --timeout-graceful-shutdown "$(setting SHUTDOWN_TIMEOUT_SECONDS 30)"
    )
fi

# What a browser on this machine opens; the wildcard addresses are not one.
case $host in
    0.0.0.0 | :: | "") local_host=localhost ;;
    *:*) local_host="[$host]" ;;
    *) local_host=$host ;;
esac
base_url="http://$local_host:$port"

banner "Serving on $base_url (ENVIRONMENT=$environment)"
# Prints the summary once the server answers, then exits; uvicorn keeps this
# shell's process (exec), so signals reach the server directly.
"${uv_command[@]}" run --no-sync python -m commands.startup_summary --url "$base_url" &
exec "${uv_command[@]}" run --no-sync uvicorn app.asgi:app "${server_options[@]}"
