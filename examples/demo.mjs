// The demo: a market-data producer writes OHLCV bars into SQLite through a WriteCoordinator and
// paces itself with the coordinator's feedback. `npm run demo` builds the library first; flags
// after `--` (`npm run demo -- --help`). See examples/demo/ for the parts.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tap } from 'rxjs';
import { WriteCoordinator, DEFAULT_WATERMARKS, MemoryDeadLetterQueue, submitTo } from '../dist/esm/index.js';
import { USAGE, UsageError, parseDemoOptions } from './demo/options.mjs';
import { openSqliteBarStore } from './demo/sqlite-bar-store.mjs';
import { barProducer } from './demo/bar-producer.mjs';
import { createLiveView } from './demo/live-view.mjs';
import { renderChart } from './demo/chart.mjs';

let options;
try {
  options = parseDemoOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`demo: ${error.message}\nRun \`npm run demo -- --help\` for the flags.`);
  process.exit(2);
}
if (options === null) {
  console.log(USAGE);
  process.exit(0);
}

const WORKERS = 2;
// Two seconds of the store's work fit in the coordinator; batches of a tenth of a second.
const capacity = Math.max(100, options.storeRate * 2);
const batchSize = Math.min(500, Math.max(10, Math.round(options.storeRate / 10)));
const store = openSqliteBarStore(options.db, {
  rowsPerSecond: options.storeRate,
  workers: WORKERS,
  failRate: options.failRate,
});
const deadLetter = new MemoryDeadLetterQueue();
const coordinator = new WriteCoordinator({
  id: 'bars',
  sink: store,
  capacity,
  workers: WORKERS,
  batchSize,
  flushIntervalMs: 50,
  overflow: 'reject', // a full coordinator refuses: only pacing keeps the producer from losing bars
  retry: { maxAttempts: 5, initialBackoffMs: 20, maxBackoffMs: 500 },
  circuitBreaker: { failureThreshold: 5, halfOpenAfterMs: 1_000 },
  deadLetter,
  bus: null,
});

console.log(
  `${options.paced ? 'Paced' : 'Unpaced'} producer -> WriteCoordinator (capacity ${capacity}, ${WORKERS} workers, ` +
    `batches of ${batchSize}) -> SQLite ${options.db}\n` +
    `Simulated: the store is held to ${options.storeRate} rows/s, ${options.failRate * 100}% of writes fail ` +
    `with a transient SQLITE_BUSY (retried); the producer offers ${options.rate} bars/s, three times that in bursts.\n`,
);

// What the live view and the chart show, sampled every 100 ms.
const started = performance.now();
const elapsedS = () => (performance.now() - started) / 1000;
let produced = 0;
let peakDepth = 0;
let refused = 0;
const timeInLevelMs = { ok: 0, soft: 0, hard: 0 };
let level = coordinator.level;
let levelSince = performance.now();
coordinator.level$.subscribe((next) => {
  const now = performance.now();
  timeInLevelMs[level] += now - levelSince;
  level = next;
  levelSince = now;
});
coordinator.depth$.subscribe((depth) => (peakDepth = Math.max(peakDepth, depth)));

const samples = [];
const history = []; // [time, produced, written] for rates over the last half second
const view = createLiveView();
let stage = 'producing';
function sample(force = false) {
  const t = elapsedS();
  const health = coordinator.health();
  history.push([t, produced, health.written]);
  while (history.length > 2 && t - history[0][0] > 0.5) history.shift();
  const [t0, produced0, written0] = history[0];
  const span = Math.max(t - t0, 1e-3);
  const state = {
    t,
    elapsedS: Math.min(t, options.durationS),
    durationS: options.durationS,
    stage,
    level: health.level,
    depth: health.queueSize + health.inFlight,
    capacity,
    softMark: DEFAULT_WATERMARKS.soft,
    hardMark: DEFAULT_WATERMARKS.hard,
    producerRate: history.length > 1 ? (produced - produced0) / span : 0,
    storeRate: history.length > 1 ? (health.written - written0) / span : 0,
    written: health.written,
    retried: health.writeErrors,
    deadLettered: health.deadLettered,
    refused,
  };
  samples.push(state);
  view.update(state, force);
}
const sampler = setInterval(sample, 100);

// The producer. Paced, it follows the coordinator's level (see demo/bar-producer.mjs); submitTo
// hands each bar over as it comes. A refusal (the coordinator full, only without pacing) is counted,
// not lost.
await new Promise((resolvePromise, reject) => {
  barProducer({
    rate: options.rate,
    durationMs: options.durationS * 1000,
    level$: options.paced ? coordinator.level$ : null,
  })
    .pipe(
      tap(() => produced++),
      submitTo(coordinator, { onRefused: () => refused++ }),
    )
    .subscribe({ error: reject, complete: resolvePromise });
});

stage = 'draining';
const producerEndS = elapsedS();
const report = await coordinator.stop({ drain: true, timeoutMs: 10_000 });
timeInLevelMs[level] += performance.now() - levelSince;
clearInterval(sampler);
sample(true);

const health = coordinator.health();
const rowsInDatabase = store.countRows();
store.close();
mkdirSync(options.out, { recursive: true });
const svgPath = join(options.out, 'backpressure.svg');
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
writeFileSync(
  svgPath,
  renderChart({
    samples,
    capacity,
    watermarks: DEFAULT_WATERMARKS,
    producerEndS,
    title: `${options.paced ? 'Paced' : 'Unpaced'} producer into SQLite through a WriteCoordinator`,
    subtitle:
      `${rowsInDatabase.toLocaleString('en-US')} rows written, ${refused.toLocaleString('en-US')} refused, ` +
      `${health.deadLettered} dead-lettered; store held to ${options.storeRate} rows/s, producer offering ` +
      `${options.rate} bars/s (x3 in bursts)`,
  }),
);

const summary = {
  paced: options.paced,
  durationS: Number(elapsedS().toFixed(2)),
  produced,
  submitted: health.submitted,
  written: health.written,
  rowsInDatabase,
  refused,
  deadLettered: health.deadLettered,
  retried: health.writeErrors,
  peakDepth,
  capacity,
  timeInLevelMs: Object.fromEntries(Object.entries(timeInLevelMs).map(([k, v]) => [k, Math.round(v)])),
  drained: report.drained,
  db: resolve(options.db),
  svg: resolve(svgPath),
};
writeFileSync(join(options.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');

const row = (label, value) => console.log(`  ${label.padEnd(22)}${value}`);
console.log(`\nDone in ${summary.durationS} s (${options.paced ? 'paced' : 'unpaced'})`);
row('bars produced', produced.toLocaleString('en-US'));
row('rows in the database', `${rowsInDatabase.toLocaleString('en-US')} (SELECT COUNT(*) FROM bars)`);
row('written', health.written.toLocaleString('en-US'));
row('refused', refused.toLocaleString('en-US') + (refused > 0 ? '  <- bars lost to a full coordinator' : ''));
row('dead-lettered', String(health.deadLettered));
row('retried writes', String(health.writeErrors));
row('peak depth', `${peakDepth.toLocaleString('en-US')}/${capacity.toLocaleString('en-US')}`);
row(
  'time in each level',
  `ok ${seconds(timeInLevelMs.ok)}, soft ${seconds(timeInLevelMs.soft)}, hard ${seconds(timeInLevelMs.hard)}`,
);
row('chart', summary.svg);
const unaccounted = produced - health.written - health.deadLettered - health.rejected - health.dropped;
if (unaccounted !== 0 || rowsInDatabase !== health.written || !report.drained) {
  console.error(`demo: accounting failed (unaccounted ${unaccounted}, drained ${report.drained})`);
  process.exitCode = 1;
}
if (!options.paced && refused === 0) console.log('\nNo refusals this time: try a higher --rate.');
