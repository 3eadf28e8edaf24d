import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/** Whether something accepts TCP connections on 127.0.0.1:`port` (checked once, synchronously). */
export function isListening(port: number): boolean {
  const script = `
    const socket = require('node:net').connect(${port}, '127.0.0.1');
    socket.setTimeout(1000, () => process.exit(1));
    socket.on('connect', () => process.exit(0));
    socket.on('error', () => process.exit(1));`;
  return spawnSync(process.execPath, ['-e', script], { timeout: 3_000 }).status === 0;
}

/**
 * `describe` for tests against a real server: they run whenever the server answers, and always
 * under CI=true, where a missing server must fail them rather than skip them.
 */
export function describeWithServer(name: string, port: number, tests: () => void): void {
  if (process.env.CI === 'true' || isListening(port)) describe(name, tests);
  else describe.skip(`${name} (nothing listening on 127.0.0.1:${port})`, tests);
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A random name part, so that parallel runs never share a key, channel or bucket. */
export function randomName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}
