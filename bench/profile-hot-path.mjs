// A small driver for `node --cpu-prof`: feeds N items through `trySubmit` + `ready` (the feeds
// scenario's hot-path form) into a counting sink, with nothing subscribed, a `level$` subscriber or
// a `depth$` subscriber, and prints the cost per item of each run. Then
// `node bench/profile-hot-path.mjs --top=<file.cpuprofile>` lists the top self-time frames.
//
//   npm run build
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile-hot-path.mjs --case=depth
//   node bench/profile-hot-path.mjs --top=/tmp/prof/CPU.<...>.cpuprofile
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;

const top = option('top');
if (top !== undefined) {
  printTop(top, Number(option('lines', '25')));
} else {
  const here = dirname(fileURLToPath(import.meta.url));
  const dist = resolve(option('dist', join(here, '..', 'dist', 'esm')));
  const lib = await import(join(dist, 'index.js'));
  const which = option('case', 'none');
  const n = Number(option('n', '1000000'));
  const runs = Number(option('runs', '5'));
  for (let run = 0; run < runs; run++) {
    const ns = await feed(lib, n, which);
    console.log(`${which}: ${ns.toFixed(1)} ns per item`);
  }
}

/** One run: N items through trySubmit + ready; returns ns per item. */
async function feed(lib, n, which) {
  let count = 0;
  const c = new lib.WriteCoordinator({
    id: `profile-${Math.random().toString(36).slice(2)}`,
    sink: (batch) => {
      count += batch.length;
    },
    capacity: 10_000,
    workers: 4,
    batchSize: 500,
    bus: null,
  });
  c.start();
  let last;
  const sub =
    which === 'level'
      ? c.level$.subscribe((level) => (last = level))
      : which === 'depth'
        ? c.depth$.subscribe((depth) => (last = depth))
        : null;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    if (!c.trySubmit(i)) {
      await c.ready();
      if (!c.trySubmit(i)) throw new Error('trySubmit after ready() refused');
    }
  }
  await c.stop({ drain: true });
  const ms = performance.now() - t0;
  sub?.unsubscribe();
  void last;
  if (count !== n) throw new Error(`the sink saw ${count} items, expected ${n}`);
  return (ms * 1e6) / n;
}

/** The frames with the most self time in a .cpuprofile, with their share of the samples. */
function printTop(file, lines) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  const dt = profile.timeDeltas;
  let total = 0;
  profile.samples.forEach((id, i) => {
    const { callFrame } = byId.get(id);
    const where = `${callFrame.functionName || '(anonymous)'} ${callFrame.url.split('/').slice(-2).join('/')}:${callFrame.lineNumber + 1}`;
    self.set(where, (self.get(where) ?? 0) + (dt[i] ?? 0));
    total += dt[i] ?? 0;
  });
  const sorted = [...self].sort((a, b) => b[1] - a[1]).slice(0, lines);
  for (const [where, us] of sorted) {
    console.log(
      `${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${where}`,
    );
  }
}
