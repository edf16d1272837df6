/** Child processes of the global setup: started in their own process group, logged to files. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

export type Started = { name: string; child: ChildProcess; log: string };

export function start(name: string, command: string[], options: { cwd: string; env: NodeJS.ProcessEnv; logDir: string }): Started {
  const log = path.join(options.logDir, `${name}.log`);
  const out = createWriteStream(log);
  const [program, ...args] = command;
  const child = spawn(program!, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true, // its own group: `uv run` starts a child of its own
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  return { name, child, log };
}

/** Run a command to its end; reject with its log's path when it fails. */
export async function run(
  name: string,
  command: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; logDir: string; timeoutMs?: number },
): Promise<void> {
  const started = start(name, command, options);
  const timeout = setTimeout(() => stop(started), options.timeoutMs ?? 180_000);
  const code = await new Promise<number | null>((resolve) => started.child.on('exit', resolve));
  clearTimeout(timeout);
  if (code !== 0) throw new Error(`${name} failed (exit ${code}): see ${started.log}`);
}

/** Wait until `url` answers 2xx, failing early if the process died. */
export async function waitForHttp(started: Started, url: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (started.child.exitCode !== null) {
      throw new Error(`${started.name} exited with ${started.child.exitCode}: see ${started.log}`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${started.name} did not answer ${url} within ${timeoutMs / 1000} s: see ${started.log}`);
}

/** SIGTERM the process group, then SIGKILL whatever is left after a few seconds. */
export async function stop(started: Started): Promise<void> {
  const { child } = started;
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  signalGroup(child.pid, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
  signalGroup(child.pid, 'SIGKILL'); // children that ignored the first signal
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Fail with a clear message when something (a running ./start.sh?) holds a port. */
export function assertPortFree(port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', () =>
      reject(new Error(`port ${port} (${what}) is in use: stop what listens there, or set its E2E_*_PORT variable`)),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}
