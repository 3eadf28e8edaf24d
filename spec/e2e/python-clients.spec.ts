import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createFeedbackReceiver } from '../../lib/node/feedback-receiver.js';
import { HttpFeedbackBroadcaster } from '../../lib/webhook/http-feedback-broadcaster.js';
import type { FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import { toWire } from '../../lib/feedback/wire.js';
import { sampleEvent } from '../support/sample-event.js';

// Clients no one here wrote: Python's urllib, hmac and http.server talk to the receiver and the
// broadcaster. python3 is required (.ci/run installs it when missing); without it this fails.

const SCRIPT = resolve(__dirname, 'fixtures/python_feedback_client.py');
const SECRET = 'python-shared-secret';
const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
if (python.status !== 0) {
  throw new Error(
    'python3 is required for spec/e2e/python-clients.spec.ts: install it (apt-get install python3)',
  );
}

function runPython(...args: string[]): Promise<unknown> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('python3', [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`python3 exited with ${code}: ${stderr}`));
      else resolvePromise(JSON.parse(stdout.trim().split('\n').at(-1)!));
    });
  });
}

describe('Python clients', () => {
  let server: Server | undefined;
  let child: ChildProcess | undefined;

  afterEach(async () => {
    child?.kill();
    child = undefined;
    server?.closeAllConnections();
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
    server = undefined;
  });

  async function listen(options: Parameters<typeof createFeedbackReceiver>[0]) {
    const receiver = createFeedbackReceiver(options);
    const events: FeedbackEvent[] = [];
    receiver.feedback$.subscribe((event) => events.push(event));
    server = createServer(receiver.handler);
    await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/feedback`, events };
  }

  it("accepts the market-data store's exact payload, without ts, dated on receipt", async () => {
    const { url, events } = await listen({});
    const before = Date.now();
    expect(await runPython('post-unsigned', url)).toEqual({ status: 204, body: '' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      coordinatorId: 'market-data',
      level: 'hard',
      previousLevel: 'hard',
      queueSize: 8_200,
      capacity: 10_000,
      utilization: 0.82,
      reason: 'high_watermark',
      source: '',
    });
    expect(events[0]!.ts).toBeGreaterThanOrEqual(before);
    expect(events[0]!.ts).toBeLessThanOrEqual(Date.now());
  });

  it("accepts a payload signed with Python's hmac, and refuses one signed with another secret", async () => {
    const { url, events } = await listen({ secret: SECRET });
    expect(await runPython('post-signed', url, SECRET)).toEqual({ status: 204, body: '' });
    const wrong = (await runPython('post-signed', url, 'not-the-secret')) as { status: number };
    expect(wrong.status).toBe(401);
    expect(events.map((e) => e.coordinatorId)).toEqual(['market-data']);
  });

  it("delivers a broadcaster's signed request to a Python http.server that verifies it", async () => {
    const event = sampleEvent({ ts: Date.now() });
    const verdict = await new Promise<{ verified: boolean; content_type: string; payload: unknown }>(
      (resolvePromise, reject) => {
        child = spawn('python3', [SCRIPT, 'serve', SECRET], { stdio: ['ignore', 'pipe', 'inherit'] });
        child.on('error', reject);
        const lines = createInterface({ input: child.stdout! });
        lines.on('line', (line) => {
          const message = JSON.parse(line) as { port?: number; verified?: boolean };
          if (message.port !== undefined) {
            const broadcaster = new HttpFeedbackBroadcaster({
              url: `http://127.0.0.1:${message.port}/feedback`,
              secret: SECRET,
              maxRetries: 1,
            });
            void broadcaster.broadcastOne(event).then((delivered) => {
              if (!delivered) reject(new Error('the Python receiver refused the request'));
            });
          } else resolvePromise(message as never);
        });
      },
    );
    expect(verdict.verified).toBe(true);
    expect(verdict.content_type).toBe('application/json');
    expect(verdict.payload).toEqual(toWire(event));
  });
});
