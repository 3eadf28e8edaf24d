import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import type { WriteCoordinatorOptions } from '../../lib/coordinator/write-coordinator-options.js';
import type { FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import { FeedbackBus, feedbackBus } from '../../lib/feedback/feedback-bus.js';
import type { BackpressureLevel } from '../../lib/levels/backpressure-level.js';
import { range } from './helpers.js';
import { VirtualClock } from '../support/virtual-clock.js';

let clock: VirtualClock;
const live: WriteCoordinator<unknown>[] = [];
function make<T>(options: WriteCoordinatorOptions<T>): WriteCoordinator<T> {
  const coordinator = new WriteCoordinator<T>({ bus: null, autoStart: false, scheduler: clock, ...options });
  live.push(coordinator as WriteCoordinator<unknown>);
  return coordinator;
}
beforeEach(() => {
  clock = new VirtualClock();
});
afterEach(async () => {
  await clock.run(Promise.all(live.splice(0).map((c) => c.stop({ drain: false, timeoutMs: 100 }))));
});

/** A sink that holds every write until `open()` is called. */
function gatedSink() {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  return { write: () => gate, open: () => open() };
}

describe('WriteCoordinator feedback', () => {
  it('publishes hard with its id and queueSize >= 80 when filled past 80% of 100', async () => {
    const bus = new FeedbackBus();
    const events: FeedbackEvent[] = [];
    bus.subscribe((e) => void events.push(e));
    const sink = gatedSink();
    const coordinator = make<number>({ sink: sink.write, id: 'ticks', capacity: 100, batchSize: 10, bus });
    coordinator.start();
    await coordinator.submitMany(range(85));
    const hard = events.find((e) => e.level === 'hard');
    expect(hard).toMatchObject({
      coordinatorId: 'ticks',
      previousLevel: 'soft',
      reason: 'high_watermark',
      capacity: 100,
    });
    expect(hard!.queueSize).toBeGreaterThanOrEqual(80);
    expect(hard!.utilization).toBeCloseTo(hard!.queueSize / 100);
    expect(bus.latest('ticks')?.level).toBe('hard');
  });

  it('publishes soft in mid-range', async () => {
    const coordinator = make<number>({ sink: gatedSink().write, capacity: 100, bus: null });
    const events: FeedbackEvent[] = [];
    coordinator.feedback$.subscribe((e) => events.push(e));
    await coordinator.submitMany(range(60));
    expect(events).toEqual([
      expect.objectContaining({
        level: 'soft',
        previousLevel: 'ok',
        reason: 'soft_watermark',
        queueSize: 50,
      }),
    ]);
  });

  it('publishes queue_draining and then ok with queue_recovered while draining', async () => {
    const sink = gatedSink();
    const coordinator = make<number>({
      sink: sink.write,
      capacity: 100,
      batchSize: 10,
      workers: 4,
      flushIntervalMs: 5,
    });
    const events: FeedbackEvent[] = [];
    coordinator.feedback$.subscribe((e) => events.push(e));
    coordinator.start();
    await coordinator.submitMany(range(90));
    sink.open();
    await clock.until(() => coordinator.health().written === 90, 2_000);
    expect(events.map((e) => [e.level, e.reason])).toEqual([
      ['soft', 'soft_watermark'],
      ['hard', 'high_watermark'],
      ['soft', 'queue_draining'],
      ['ok', 'queue_recovered'],
    ]);
    expect(coordinator.level).toBe('ok');
  });

  it('keeps the ids of two coordinators on one bus apart', async () => {
    const bus = new FeedbackBus();
    const events: FeedbackEvent[] = [];
    bus.subscribe((e) => void events.push(e));
    const a = make<number>({ sink: gatedSink().write, id: 'a', capacity: 10, bus });
    const b = make<number>({ sink: gatedSink().write, id: 'b', capacity: 10, bus });
    await a.submitMany(range(9));
    await b.submitMany(range(5));
    expect(events.map((e) => `${e.coordinatorId}:${e.level}`)).toEqual(['a:soft', 'a:hard', 'b:soft']);
    expect(bus.latest('a')?.level).toBe('hard');
    expect(bus.latest('b')?.level).toBe('soft');
  });

  it('is not slowed down by a bus listener that never settles', async () => {
    const bus = new FeedbackBus();
    let calls = 0;
    // A promise that never settles, with no timer behind it: nothing is left running after the test.
    bus.subscribe(() => {
      calls++;
      return new Promise<void>(() => undefined);
    });
    const coordinator = make<number>({
      sink: gatedSink().write,
      capacity: 1_000,
      bus,
      watermarks: { soft: 0.1, hard: 0.2, softExit: 0.05, hardExit: 0.15 },
    });
    const submitting = (async () => {
      for (const i of range(1_000)) await coordinator.submit(i);
    })();
    // Awaiting the listener would never finish: the loop must end with no time passing at all.
    await clock.run(submitting, 0);
    expect(clock.now()).toBe(0);
    expect(calls).toBe(2);
  });

  it('publishes on the default bus unless told otherwise, and nowhere with bus: null', async () => {
    const seen: string[] = [];
    const subscription = feedbackBus().subscribe((e) => void seen.push(e.coordinatorId));
    const onDefault = new WriteCoordinator<number>({
      sink: gatedSink().write,
      id: 'on-default',
      capacity: 2,
      scheduler: clock,
    });
    live.push(onDefault as WriteCoordinator<unknown>);
    const silent = make<number>({ sink: gatedSink().write, id: 'silent', capacity: 2, bus: null });
    const own: FeedbackEvent[] = [];
    silent.feedback$.subscribe((e) => own.push(e));
    await onDefault.submit(1);
    await silent.submit(1);
    subscription.unsubscribe();
    expect(seen).toEqual(['on-default']);
    expect(own).toHaveLength(1);
  });

  it('carries the source option', async () => {
    const coordinator = make<number>({ sink: gatedSink().write, capacity: 2, source: 'ingest-7' });
    const events: FeedbackEvent[] = [];
    coordinator.feedback$.subscribe((e) => events.push(e));
    await coordinator.submit(1);
    expect(events[0]!.source).toBe('ingest-7');
  });

  describe('depth$ and level$', () => {
    it('emit the current value on subscribe and then every change, synchronously', async () => {
      const coordinator = make<number>({ sink: gatedSink().write, capacity: 10 });
      await coordinator.submitMany([1, 2]);
      const depths: number[] = [];
      const levels: BackpressureLevel[] = [];
      coordinator.depth$.subscribe((d) => depths.push(d));
      coordinator.level$.subscribe((l) => levels.push(l));
      expect(depths).toEqual([2]);
      expect(levels).toEqual(['ok']);
      void coordinator.submit(3);
      void coordinator.submit(4);
      void coordinator.submit(5);
      expect(depths).toEqual([2, 3, 4, 5]);
      expect(levels).toEqual(['ok', 'soft']);
      range(3).forEach((i) => void coordinator.submit(i));
      expect(levels).toEqual(['ok', 'soft', 'hard']);
    });

    it('shows hard to a subscriber before the next item is offered', async () => {
      const coordinator = make<number>({ sink: gatedSink().write, capacity: 10 });
      let level = 'ok' as BackpressureLevel;
      coordinator.level$.subscribe((l) => (level = l));
      let offered = 0;
      while (level !== 'hard') {
        await coordinator.submit(offered++);
      }
      expect(offered).toBe(8);
    });

    it('emits every change in order when a subscriber submits from inside an emission', async () => {
      const coordinator = make<number>({ sink: gatedSink().write, capacity: 10 });
      const depths: number[] = [];
      const levels: BackpressureLevel[] = [];
      const events: FeedbackEvent[] = [];
      coordinator.feedback$.subscribe((e) => events.push(e));
      coordinator.depth$.subscribe((d) => {
        if (d === 4) void coordinator.submitMany([100, 101, 102, 103]);
      });
      coordinator.depth$.subscribe((d) => depths.push(d));
      coordinator.level$.subscribe((l) => levels.push(l));
      await coordinator.submitMany(range(4));
      expect(coordinator.health().queueSize).toBe(8);
      expect(depths).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      expect(levels).toEqual(['ok', 'soft', 'hard']);
      expect(events.map((e) => [e.previousLevel, e.level, e.queueSize])).toEqual([
        ['ok', 'soft', 5],
        ['soft', 'hard', 8],
      ]);
    });

    it('gives a late subscriber the depth it has reached', async () => {
      const coordinator = make<number>({ sink: gatedSink().write, capacity: 10 });
      coordinator.level$.subscribe((l) => {
        if (l === 'soft') void coordinator.submit(99);
      });
      await coordinator.submitMany(range(5));
      const depths: number[] = [];
      coordinator.depth$.subscribe((d) => depths.push(d));
      expect(depths).toEqual([6]);
    });

    it('complete when the coordinator stops', async () => {
      const coordinator = make<number>({ sink: () => undefined });
      let completed = 0;
      const done = () => completed++;
      coordinator.depth$.subscribe({ complete: done });
      coordinator.level$.subscribe({ complete: done });
      coordinator.feedback$.subscribe({ complete: done });
      coordinator.writes$.subscribe({ complete: done });
      coordinator.errors$.subscribe({ complete: done });
      coordinator.dropped$.subscribe({ complete: done });
      await clock.run(coordinator.stop());
      expect(completed).toBe(6);
    });
  });
});
