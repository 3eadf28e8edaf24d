import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { chromium, type BrowserContext } from 'playwright-core';
import type { FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import { toWire } from '../../lib/feedback/wire.js';
import { createFeedbackReceiver, type FeedbackRejection } from '../../lib/node/feedback-receiver.js';
import { serveFeedbackEvents, type FeedbackEventsHandler } from '../../lib/node/serve-feedback-events.js';
import { packageBuild } from '../support/package-sources.js';
import type { ScenarioOptions, ScenarioResult } from './fixtures/indexeddb-scenario.js';

// The package in a real browser: the ESM build bundled with esbuild and run in Debian's Chromium,
// against this tree's receiver and SSE endpoint. It needs /usr/bin/chromium and fails, never
// skips, without it (.ci/run installs it in CI).
const ROOT = resolve(__dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SECRET = `browser-${Math.random().toString(36).slice(2)}`;
const ROWS = 500;
const CAPACITY = 50;

const summary = (wire: ReturnType<typeof toWire>) => ({
  coordinator_id: wire.coordinator_id,
  level: wire.level,
  previous_level: wire.previous_level,
  queue_size: wire.queue_size,
  reason: wire.reason,
});

describe('the package in Chromium', () => {
  let server: Server | undefined;
  let events: FeedbackEventsHandler | undefined;
  let context: BrowserContext | undefined;
  let profile: string | undefined;

  afterEach(async () => {
    await context?.close();
    events?.close();
    if (server) {
      server.closeAllConnections();
      await new Promise((done) => server!.close(done));
    }
    if (profile) await rm(profile, { recursive: true, force: true });
    server = events = context = profile = undefined;
  });

  it('writes every row into IndexedDB paced by pauseWhile, and hears each level over a signed webhook and EventSource, reconnecting after a 503', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `expected Chromium at ${CHROMIUM}, found none: install Debian's package ` +
          '(apt-get update && apt-get install -y chromium); .ci/run does this in CI',
      );
    }
    for (const built of ['dist/esm/index.js', 'dist/esm/webhook/index.js']) {
      if (!existsSync(join(ROOT, built))) {
        throw new Error(`expected the ESM build (${built}), found none: run npm run build first`);
      }
    }
    const bundle = await build({
      entryPoints: [join(__dirname, 'fixtures/indexeddb-scenario.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
      plugins: [packageBuild],
    });
    const script = bundle.outputFiles[0]!.text;
    expect(script).not.toMatch(/\bfrom\s*["']node:|require\(["']node:/);

    // The page, the signed webhook receiver and the SSE stream of what it accepted, on one origin.
    const receiver = createFeedbackReceiver({ secret: SECRET });
    const accepted: FeedbackEvent[] = [];
    const rejected: FeedbackRejection[] = [];
    receiver.feedback$.subscribe((event) => accepted.push(event));
    receiver.rejected$.subscribe((rejection) => rejected.push(rejection));
    events = serveFeedbackEvents(receiver.feedback$);
    const sse = events;
    let eventsRefusedOnce = false;
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(
          '<!doctype html><link rel="icon" href="data:,"><script type="module" src="/scenario.js"></script>',
        );
      } else if (path === '/scenario.js') {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
        res.end(script);
      } else if (path === '/feedback') {
        receiver.handler(req, res);
      } else if (path === '/events' && eventsRefusedOnce) {
        sse(req, res);
      } else if (path === '/events' || path === '/events-unavailable') {
        eventsRefusedOnce ||= path === '/events';
        res.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable\n');
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((listening) => server!.listen(0, '127.0.0.1', listening));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    profile = await mkdtemp(join(tmpdir(), 'rxjs-backpressure-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    const consoleErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.stack ?? error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(origin);
    await page.waitForFunction(() => typeof window.runScenario === 'function', null, { timeout: 10_000 });
    const options: ScenarioOptions = { rows: ROWS, capacity: CAPACITY, secret: SECRET };
    const result: ScenarioResult = await page.evaluate((o) => window.runScenario(o), options);

    expect(pageErrors).toEqual([]);
    // The expected ones: Chromium logs the 503s and the unsigned probe's 401.
    expect(consoleErrors.filter((text) => !/\b(401|503)\b/.test(text))).toEqual([]);
    // A bare EventSource closes for good on a 503; fromFeedbackEvents opened a second one.
    expect(result.bareEventSourceStateAfter503).toBe(2);
    expect(result.eventSourcesOpened).toBe(2);

    // Every row landed, once, and pacing kept the coordinator from refusing any.
    expect(result.rowsInDatabase).toBe(ROWS);
    expect(result.health).toMatchObject({ written: ROWS, rejected: 0, dropped: 0, deadLettered: 0 });
    expect(result.refused).toEqual([]);
    expect(result.maxDepth).toBeLessThan(CAPACITY);

    // The page's own levels: up to hard (the store shut), and back to ok.
    expect(result.localLevels.slice(0, 3)).toEqual(['ok', 'soft', 'hard']);
    expect(result.localLevels.at(-1)).toBe('ok');

    // The receiver refused the unsigned probe and accepted every signed delivery.
    expect(result.unsignedStatus).toBe(401);
    expect(rejected).toEqual([expect.objectContaining({ status: 401 })]);
    expect(result.deliveryFailures).toEqual([]);
    const acceptedLevels = accepted.map((event) => event.level);
    // While the store is shut the level stays hard, so the first delivery is hard (a soft still
    // pending when hard came is superseded: only the newest level per coordinator is sent).
    expect(acceptedLevels[0]).toBe('hard');
    expect(acceptedLevels.at(-1)).toBe('ok');

    // And the page heard, through the browser's EventSource, exactly what the receiver accepted.
    expect(result.remoteEvents.map(summary)).toEqual(accepted.map((event) => summary(toWire(event))));
    expect(result.remoteLevels).toEqual(acceptedLevels);
  }, 90_000);
});
