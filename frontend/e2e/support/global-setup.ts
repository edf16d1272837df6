/**
 * Starts what the browser tests run against, and returns their teardown:
 * a real SMTP sink, a fresh migrated database (SQLite in a temporary
 * directory, or E2E_DATABASE_URL's PostgreSQL database, whose schema is
 * dropped), a superuser, an OpenID Connect provider (oidc-provider-mock) for
 * social login, two gatehouse servers (uvicorn) and the SPA built for each of
 * them (`vite preview`). Server logs go to frontend/e2e-logs/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAIN, OIDC, SHORT_LIVED, SUPERUSER, type Stack } from './stack';
import { assertPortFree, freePort, run, start, stop, waitForHttp, type Started } from './processes';

const FRONTEND = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ROOT = path.dirname(FRONTEND);
const VITE = path.join(FRONTEND, 'node_modules', '.bin', 'vite');
// $UV: how to call uv (`python3 -m uv` where pip put it outside PATH).
const UV = [...(process.env.UV || 'uv').split(' '), 'run', '--frozen'];

const portOf = (url: string) => new URL(url).port;

export default async function globalSetup(): Promise<() => Promise<void>> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'gatehouse-e2e-'));
  const logDir = path.join(FRONTEND, 'e2e-logs');
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  const started: Started[] = [];
  const teardown = async () => {
    await Promise.all(started.map(stop));
    rmSync(scratch, { recursive: true, force: true });
  };

  try {
    for (const [url, what] of [
      [MAIN.apiUrl, 'API'],
      [MAIN.spaUrl, 'SPA'],
      [SHORT_LIVED.apiUrl, 'short-lived API'],
      [SHORT_LIVED.spaUrl, 'short-lived SPA'],
    ] as const) {
      await assertPortFree(Number(portOf(url)), what);
    }
    const base = { cwd: ROOT, logDir };
    const pythonEnv = { ...process.env, UV_PYTHON_DOWNLOADS: 'never', PYTHONPATH: ROOT };

    const [smtpPort, mailboxPort] = [await freePort(), await freePort()];
    const sink = start('smtp-sink', [...UV, 'python', 'frontend/e2e/support/smtp_sink.py', '--smtp-port', `${smtpPort}`, '--http-port', `${mailboxPort}`], { ...base, env: pythonEnv });
    started.push(sink);
    const mailboxUrl = `http://127.0.0.1:${mailboxPort}/messages`;
    process.env.E2E_MAILBOX_URL = mailboxUrl; // read by the tests (workers inherit it)

    // A real OpenID Connect provider for social login (oidc-provider-mock).
    const oidcPort = await freePort();
    const oidc = start('oidc-provider', [...UV, 'python', '-m', 'oidc_provider_mock', '--host', '127.0.0.1', '--port', `${oidcPort}`], {
      ...base,
      env: pythonEnv,
    });
    started.push(oidc);
    const oidcUrl = `http://127.0.0.1:${oidcPort}`;
    process.env.E2E_OIDC_URL = oidcUrl; // read by the tests

    const databaseUrl = process.env.E2E_DATABASE_URL || `sqlite+aiosqlite:///${path.join(scratch, 'gatehouse.db')}`;
    const serverEnv = (stack: Stack, extra: Record<string, string>): NodeJS.ProcessEnv => ({
      ...pythonEnv,
      ...gatehouseSettings(databaseUrl, smtpPort, stack),
      ...extra,
    });
    const builds: [Stack, string][] = [
      [MAIN, path.join(scratch, 'spa-main')],
      [SHORT_LIVED, path.join(scratch, 'spa-short-lived')],
    ];
    const prepareDatabase = async () => {
      await run('prepare-database', [...UV, 'python', 'frontend/e2e/support/prepare_database.py', databaseUrl], { ...base, env: pythonEnv });
      await run(
        'create-superuser',
        [...UV, 'python', '-m', 'commands.create_superuser', '--email', SUPERUSER.email, '--password', SUPERUSER.password],
        { ...base, env: serverEnv(MAIN, {}) },
      );
    };
    const buildSpas = async () => {
      for (const [stack, outDir] of builds) {
        await run(`build-${portOf(stack.spaUrl)}`, [VITE, 'build', '--outDir', outDir, '--emptyOutDir'], {
          cwd: FRONTEND,
          logDir,
          env: { ...process.env, VITE_API_URL: stack.apiUrl },
        });
      }
    };
    await Promise.all([prepareDatabase(), buildSpas()]);

    const servers: [Started, string][] = [];
    const api = (name: string, stack: Stack, extra: Record<string, string>) => {
      const server = start(name, [...UV, 'uvicorn', 'app.asgi:app', '--host', '127.0.0.1', '--port', portOf(stack.apiUrl), '--no-proxy-headers'], {
        ...base,
        env: serverEnv(stack, extra),
      });
      started.push(server);
      servers.push([server, `${stack.apiUrl}/health/live`]);
    };
    api('api', MAIN, {
      API_URL: MAIN.apiUrl,
      OAUTH_OIDC_NAME: OIDC.slug,
      OAUTH_OIDC_DISPLAY_NAME: OIDC.displayName,
      OAUTH_OIDC_DISCOVERY_URL: `${oidcUrl}/.well-known/openid-configuration`,
      OAUTH_OIDC_CLIENT_ID: 'gatehouse-e2e',
      OAUTH_OIDC_CLIENT_SECRET: 'gatehouse-e2e-secret',
      RATE_LIMIT_OAUTH_PER_IP: '1000/minute',
    });
    api('api-short-lived', SHORT_LIVED, {
      ACCESS_TOKEN_EXPIRE_SECONDS: String(SHORT_LIVED.accessTokenSeconds),
      REFRESH_REUSE_GRACE_SECONDS: '0',
      // One server delivers the shared outbox.
      OUTBOX_WORKER_ENABLED: 'false',
    });
    for (const [stack, outDir] of builds) {
      const preview = start(
        `spa-${portOf(stack.spaUrl)}`,
        [VITE, 'preview', '--outDir', outDir, '--host', '127.0.0.1', '--port', portOf(stack.spaUrl), '--strictPort'],
        { cwd: FRONTEND, logDir, env: process.env },
      );
      started.push(preview);
      servers.push([preview, stack.spaUrl]);
    }
    servers.push([oidc, `${oidcUrl}/.well-known/openid-configuration`]);
    await Promise.all([[sink, mailboxUrl] as [Started, string], ...servers].map(([server, url]) => waitForHttp(server, url)));
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

/** The settings a developer's `./start.sh` runs with, plus the test's SMTP sink. */
function gatehouseSettings(databaseUrl: string, smtpPort: number, stack: Stack): Record<string, string> {
  const secret = (name: string) => `e2e-${name}-`.padEnd(48, 'x');
  return {
    ENVIRONMENT: 'development',
    LOG_FORMAT: 'text',
    DATABASE_URL: databaseUrl,
    // Given, so that development does not generate them into .gatehouse/.
    SECRET_KEY: secret('secret'),
    RESET_PASSWORD_SECRET_KEY: secret('reset'),
    VERIFICATION_SECRET_KEY: secret('verify'),
    MFA_ENCRYPTION_KEY: secret('mfa'),
    FRONTEND_URL: stack.spaUrl,
    MAIL_SERVER: '127.0.0.1',
    MAIL_PORT: String(smtpPort),
    MAIL_STARTTLS: 'false',
    MAIL_SSL_TLS: 'false',
    MAIL_USE_CREDENTIALS: 'false',
    MAIL_VALIDATE_CERTS: 'false',
    MAIL_FROM: 'gatehouse@example.com',
    OUTBOX_POLL_SECONDS: '1',
    // One address (127.0.0.1) signs in for every test: per-IP limits would trip.
    RATE_LIMIT_LOGIN_PER_IP: '1000/minute',
    RATE_LIMIT_LOGIN_FAILURES_PER_IP: '1000/minute',
    RATE_LIMIT_REGISTER_PER_IP: '1000/minute',
    RATE_LIMIT_EMAIL_REQUESTS_PER_IP: '1000/minute',
  };
}
