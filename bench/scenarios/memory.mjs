// Scenario 5: heap growth after many items through a bounded coordinator, and after many
// subscribe/unsubscribe cycles on the bus, the coordinator's streams and each pacing operator.
import { BehaviorSubject, Subject, filter, firstValueFrom } from 'rxjs';
import { fmtBytes, fmtInt, heapAfterGc } from '../harness.mjs';

export const id = 'memory';
export const title = '5. Memory: heap growth after items and after subscribe/unsubscribe cycles';

async function coordinatorGrowth(lib, n) {
  let count = 0;
  const before = heapAfterGc();
  const bus = new lib.FeedbackBus();
  const coordinator = new lib.WriteCoordinator({
    id: 'memory',
    sink: (batch) => {
      count += batch.length;
    },
    capacity: 10_000,
    workers: 4,
    batchSize: 500,
    bus,
  });
  let events = 0;
  const subscription = coordinator.feedback$.subscribe(() => events++);
  bus.subscribe(() => events++);
  coordinator.start();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await coordinator.submit({ id: i });
  await firstValueFrom(coordinator.depth$.pipe(filter((depth) => depth === 0)));
  const seconds = (performance.now() - t0) / 1000;
  // Measured with the coordinator alive and running: what it keeps, not what stop() frees.
  const running = heapAfterGc() - before;
  subscription.unsubscribe();
  await coordinator.stop({ drain: true });
  if (count !== n) throw new Error(`memory: the sink saw ${count} items, expected ${n}`);
  return { n, running, seconds, events };
}

function cycleTargets(lib) {
  const src = new Subject();
  const levels = new BehaviorSubject('ok');
  const paused = new BehaviorSubject(false);
  const rates = new BehaviorSubject(1_000);
  const feedback = new Subject();
  const bus = new lib.FeedbackBus();
  const listener = () => undefined;
  const inputs = [src, levels, paused, rates, feedback];
  const coordinator = new lib.WriteCoordinator({ id: 'cycles', sink: () => undefined, bus });
  const list = [
    ['bus.subscribe(listener)', () => bus.subscribe(listener)],
    ['bus.feedback$', () => bus.feedback$.subscribe()],
    ['coordinator.level$', () => coordinator.level$.subscribe()],
    ['coordinator.depth$', () => coordinator.depth$.subscribe()],
    ['coordinator.feedback$', () => coordinator.feedback$.subscribe()],
    ['pauseWhile', () => src.pipe(lib.pauseWhile(paused)).subscribe()],
    ['throttleByLevel', () => src.pipe(lib.throttleByLevel(levels)).subscribe()],
    ['pacedInterval', () => lib.pacedInterval(levels).subscribe()],
    ['pace(rate$)', () => src.pipe(lib.pace(rates)).subscribe()],
    ['aimdRate', () => lib.aimdRate(levels).subscribe()],
    ['levelOf', () => lib.levelOf(feedback).subscribe()],
    ['worstLevel', () => lib.worstLevel(levels, lib.levelOf(feedback)).subscribe()],
  ];
  const leftover = () => inputs.filter((s) => s.observed).length + bus.subscriberCount;
  return { list, leftover, coordinator };
}

export async function run({ lib, quick }) {
  const small = quick ? 100_000 : 1_000_000;
  const large = quick ? 1_000_000 : 10_000_000;
  const cycles = quick ? 20_000 : 100_000;
  const growth = [];
  for (const n of [small, large]) growth.push(await coordinatorGrowth(lib, n));
  const itemRows = growth.map((g) => [
    `${fmtInt(g.n)} items, capacity 10 000`,
    fmtBytes(g.running),
    `${(g.n / g.seconds / 1e6).toFixed(2)} M/s`,
  ]);

  const { list, leftover, coordinator } = cycleTargets(lib);
  const cycleRows = [];
  const cycleData = {};
  let worstCycleGrowth = -Infinity;
  let leaks = 0;
  for (const [name, subscribe] of list) {
    for (let i = 0; i < 1_000; i++) subscribe().unsubscribe(); // warm-up: JIT, lazily created state
    const before = heapAfterGc();
    for (let i = 0; i < cycles; i++) subscribe().unsubscribe();
    const grown = heapAfterGc() - before;
    const left = leftover();
    if (left > 0) leaks++;
    worstCycleGrowth = Math.max(worstCycleGrowth, grown);
    cycleData[name] = { cycles, growthBytes: grown, subscriptionsLeft: left };
    cycleRows.push([name, fmtInt(cycles), fmtBytes(grown), `${(grown / cycles).toFixed(3)} B`, String(left)]);
  }
  await coordinator.stop({ drain: true });

  const [g1, g2] = growth;
  const countDependence = g2.running - g1.running;
  const bound = 4 * 1024 * 1024;
  // A subscription that leaks costs 100 B or more a cycle; heap readings wander by a few hundred KiB.
  const cycleBound = 1024 * 1024;
  return {
    note:
      (quick ? 'QUICK: reduced counts. ' : '') +
      'Heap used after two forced collections (--expose-gc), minus the same reading before. Items: coordinator still running, queue empty; one `await submit({ id })` at a time.',
    tables: [
      { caption: 'Items through a coordinator', headers: ['run', 'heap growth', 'rate'], rows: itemRows },
      {
        caption: 'Subscribe/unsubscribe cycles (inputs are long-lived subjects)',
        headers: ['subscribed to', 'cycles', 'heap growth', 'per cycle', 'subscriptions left'],
        rows: cycleRows,
      },
    ],
    data: { items: growth, cycles: cycleData },
    targets: [
      {
        text: `heap growth bounded (< ${fmtBytes(bound)}) and independent of the count`,
        measured: `${fmtBytes(g1.running)} after ${fmtInt(g1.n)}, ${fmtBytes(g2.running)} after ${fmtInt(g2.n)}`,
        pass: g1.running < bound && g2.running < bound && Math.abs(countDependence) < bound / 4,
      },
      {
        text: `no growth from ${fmtInt(cycles)} subscribe/unsubscribe cycles (< ${fmtBytes(cycleBound)}, nothing left subscribed)`,
        measured: `worst ${fmtBytes(worstCycleGrowth)}, ${leaks} left subscribed`,
        pass: worstCycleGrowth < cycleBound && leaks === 0,
      },
    ],
  };
}
