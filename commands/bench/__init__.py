"""Benchmark gatehouse over HTTP against a bare app, a raw-asyncpg ceiling and stock
fastapi-users, in the same run.

    apt-get install wrk                                     # once
    createdb -h 127.0.0.1 -U postgres gatehouse_bench      # once
    uv run python -m commands.bench
    uv run python -m commands.bench --only users-me,items-list --duration 5
    uv run python -m commands.bench --large --only deep-pages
    uv run python -m commands.bench lists                  # in-process list latency

BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/gatehouse_bench)
names the database. Every run DROPS its public schema, migrates it to head and
seeds it (10 000 users and 10 000 items by default, --large: 100 000 and
1 000 000; one pre-computed Argon2 hash for all), so its name must contain
"bench" unless --any-database is given.

Four servers are measured, one at a time, each served like production (uvicorn,
--workers 1 by default, uvloop, httptools, no reload, no access log): bare
(FastAPI, one constant route), ceiling (one primary-key SELECT of a users row
through a raw asyncpg pool), stock (fastapi-users as its documentation sets it
up, GET /users/me) and the app (`app.asgi:app`, ENVIRONMENT=production with
fresh secrets, rate limits and the email outbox worker off, LOG_LEVEL=WARNING;
ARGON2_* and DATABASE_POOL_* from the environment reach it, and size the
references' pools too). A round loads bare, ceiling, stock, then the app's
scenarios; --repeats rounds (2) alternate them so that a busy machine slows all
alike, and the spread between the rounds is reported.

The app's scenarios (--only picks among them; GET /health/live always runs):

    users-me             GET /api/v1/users/me
    items-list           GET /api/v1/items?limit=100 (the user's 100 items)
    admin-users          GET /api/v1/users?is_active=true&sort=email&limit=50 as
                         the superuser: p50 with ONE connection, then 32
    deep-pages           page 1 and a deep page (the last full one: page 10 000
                         with --large) of the superuser's item list and of one
                         owner's, ONE connection; by cursor when the API offers
                         one, else by offset
    stats                GET /api/v1/stats as a user granted stats:read by a role:
                         permission-checked (its figures are cached by the app)
    health               GET /health (readiness: one SELECT 1)
    items-create         POST /api/v1/items
    login                POST /api/v1/auth/login (Argon2 verification)
    health-under-login   GET /health on one connection while 32 hammer login

Each is checked with one request, then loaded with --connections (32)
keep-alive connections for --duration seconds after a --warmup whose figures
are discarded. Every throughput is shown as a ratio to bare, to ceiling and to
/health/live; issue 18's targets are judged PASS/FAIL (the run exits 0 either
way; non-zero when it could not measure). Each server's resident memory
(VmRSS; with several workers each one's) is read after start-up and after its
loads. Then EXPLAIN (ANALYZE, BUFFERS) of the admin list and of the deep pages,
captured in-process. The load comes from wrk; without it (or with
--load-generator python) a less precise asyncio client in this process takes
over, with a warning. Results go to stdout and to --output as JSON.
"""
