import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AggregatorRegistry, Counter, Registry, register as globalRegistry } from 'prom-client';
import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import { FeedbackBus } from '../../lib/feedback/feedback-bus.js';
import { registerCoordinatorMetrics } from '../../lib/prometheus/index.js';
import { scriptedCoordinator } from '../support/scripted-run.js';

const golden = (name: string) => readFileSync(join(__dirname, 'golden', name), 'utf8');
/** The series lines of an exposition (no HELP / TYPE), for one metric name prefix. */
const series = (text: string, name: string) =>
  text.split('\n').filter((line) => line.startsWith(name) && !line.startsWith('#'));

const live: WriteCoordinator<unknown>[] = [];
function track<T>(coordinator: WriteCoordinator<T>): WriteCoordinator<T> {
  live.push(coordinator as WriteCoordinator<unknown>);
  return coordinator;
}
afterEach(async () => {
  await Promise.all(live.splice(0).map((c) => c.stop({ drain: false, timeoutMs: 100 })));
});

function quietCoordinator(id: string, capacity = 10) {
  return track(
    new WriteCoordinator<number>({
      id,
      sink: () => undefined,
      capacity,
      flushIntervalMs: 0,
      bus: null,
      autoStart: false,
    }),
  );
}

describe('registerCoordinatorMetrics', () => {
  it('exposes the scripted run (100 written, 5 dead-lettered, a breaker opening) exactly as the golden file', async () => {
    const registry = new Registry();
    const run = scriptedCoordinator();
    track(run.coordinator);
    registerCoordinatorMetrics(run.coordinator, { registry, bus: run.bus });
    await run.run();
    expect(await registry.metrics()).toBe(golden('scripted-run.prom'));
  });

  it('reports the open breaker as circuit state 1 and level 2 while it is open', async () => {
    const registry = new Registry();
    const run = scriptedCoordinator();
    track(run.coordinator);
    registerCoordinatorMetrics(run.coordinator, { registry, bus: run.bus });
    let whileOpen: Promise<string> | undefined;
    run.onCircuitOpen(() => {
      whileOpen = registry.metrics();
    });
    await run.run();
    const text = await whileOpen!;
    expect(series(text, 'mds_coord_circuit_state')).toEqual(['mds_coord_circuit_state{coord_id="ticks"} 1']);
    expect(series(text, 'mds_coord_backpressure_level')).toEqual([
      'mds_coord_backpressure_level{coord_id="ticks"} 2',
    ]);
    // Depth, utilisation and level come from one health() snapshot per scrape.
    expect(series(text, 'mds_coord_queue_depth')).toEqual(['mds_coord_queue_depth{coord_id="ticks"} 100']);
    expect(series(text, 'mds_coord_utilization')).toEqual(['mds_coord_utilization{coord_id="ticks"} 0.5']);
  });

  it('tells two coordinators apart by coord_id (and coordinator_id on feedback events)', async () => {
    const registry = new Registry();
    const a = quietCoordinator('a');
    const b = quietCoordinator('b');
    registerCoordinatorMetrics([a, b], { registry, bus: null });
    await a.submitMany([1, 2, 3, 4, 5, 6]); // idle: held, 60 % is soft
    await b.submit(1);
    const text = await registry.metrics();
    expect(series(text, 'mds_coord_queue_depth')).toEqual([
      'mds_coord_queue_depth{coord_id="a"} 6',
      'mds_coord_queue_depth{coord_id="b"} 1',
    ]);
    expect(series(text, 'mds_coord_backpressure_level')).toEqual([
      'mds_coord_backpressure_level{coord_id="a"} 1',
      'mds_coord_backpressure_level{coord_id="b"} 0',
    ]);
    expect(series(text, 'mds_feedback_events_total')).toEqual([
      'mds_feedback_events_total{coordinator_id="a",level="ok"} 0',
      'mds_feedback_events_total{coordinator_id="a",level="soft"} 1',
      'mds_feedback_events_total{coordinator_id="a",level="hard"} 0',
      'mds_feedback_events_total{coordinator_id="b",level="ok"} 0',
      'mds_feedback_events_total{coordinator_id="b",level="soft"} 0',
      'mds_feedback_events_total{coordinator_id="b",level="hard"} 0',
    ]);
    // Not started: no worker is alive yet.
    expect(series(text, 'mds_coord_workers_alive')).toEqual([
      'mds_coord_workers_alive{coord_id="a"} 0',
      'mds_coord_workers_alive{coord_id="b"} 0',
    ]);
    // bus: null: no subscriber gauge at all (it would read a constant 0).
    expect(text).not.toContain('mds_feedback_subscribers');
  });

  describe('unregister()', () => {
    it('leaves the registry as it found it', async () => {
      const registry = new Registry();
      new Counter({ name: 'app_requests_total', help: 'requests', registers: [registry] }).inc(3);
      const before = await registry.metrics();
      const beforeJson = await registry.getMetricsAsJSON();
      const metrics = registerCoordinatorMetrics(quietCoordinator('a'), { registry, bus: null });
      expect(registry.getMetricsAsArray()).toHaveLength(17); // 16 without the subscriber gauge, and the app's
      metrics.unregister();
      metrics.unregister(); // idempotent
      expect(await registry.metrics()).toBe(before);
      expect(await registry.getMetricsAsJSON()).toEqual(beforeJson);
      // The names are free again.
      registerCoordinatorMetrics(quietCoordinator('b'), { registry, bus: null }).unregister();
      expect(registry.getMetricsAsArray()).toHaveLength(1);
    });

    it('lets go of the coordinators: no more subscriptions, add() refuses', () => {
      const registry = new Registry();
      const bus = new FeedbackBus();
      const coordinator = track(new WriteCoordinator<number>({ id: 'a', sink: () => undefined, bus }));
      const metrics = registerCoordinatorMetrics(coordinator, { registry, bus });
      metrics.unregister();
      expect(() => metrics.add(quietCoordinator('b'))).toThrow(
        new RangeError(
          'add expects metrics that are still registered, found them unregistered: call registerCoordinatorMetrics again',
        ),
      );
    });
  });

  it('adds and removes coordinators later; a removed one leaves no series, histogram included', async () => {
    const registry = new Registry();
    const metrics = registerCoordinatorMetrics([], { registry, bus: null });
    expect(series(await registry.metrics(), 'mds_')).toEqual([]);
    const a = quietCoordinator('a');
    metrics.add(a);
    metrics.add(a); // again: no change
    a.start();
    await a.submit(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    let text = await registry.metrics();
    expect(series(text, 'mds_coord_items_written_total')).toEqual([
      'mds_coord_items_written_total{coord_id="a"} 1',
    ]);
    expect(series(text, 'mds_worker_write_latency_seconds_count')).toEqual([
      'mds_worker_write_latency_seconds_count{coord_id="a"} 1',
    ]);
    metrics.remove(a);
    text = await registry.metrics();
    expect(series(text, 'mds_')).toEqual([]);
  });

  it('never uses the global registry and starts no default metrics', async () => {
    const before = await globalRegistry.getMetricsAsJSON();
    const registry = new Registry();
    registerCoordinatorMetrics(quietCoordinator('a'), { registry, bus: null });
    expect(await globalRegistry.getMetricsAsJSON()).toEqual(before);
    const names = registry.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name);
    expect(names.every((name) => name.startsWith('mds_'))).toBe(true);
  });

  it('puts the prefix before every name', async () => {
    const registry = new Registry();
    registerCoordinatorMetrics(quietCoordinator('a'), { registry, bus: null, prefix: 'ingest_' });
    const text = await registry.metrics();
    expect(series(text, 'ingest_coord_capacity')).toEqual(['ingest_coord_capacity{coord_id="a"} 10']);
    expect(series(text, 'mds_')).toEqual([]);
  });

  it('buckets latency by latencyBuckets', async () => {
    const registry = new Registry();
    const run = scriptedCoordinator();
    track(run.coordinator);
    registerCoordinatorMetrics(run.coordinator, { registry, bus: null, latencyBuckets: [0.1, 1] });
    await run.run();
    expect(series(await registry.metrics(), 'mds_worker_write_latency_seconds_bucket')).toEqual([
      'mds_worker_write_latency_seconds_bucket{le="0.1",coord_id="ticks"} 9',
      'mds_worker_write_latency_seconds_bucket{le="1",coord_id="ticks"} 10',
      'mds_worker_write_latency_seconds_bucket{le="+Inf",coord_id="ticks"} 10',
    ]);
  });

  it('counts what happened before registration as unknown, so each breakdown adds up to health()', async () => {
    const registry = new Registry();
    const run = scriptedCoordinator();
    track(run.coordinator);
    await run.run();
    registerCoordinatorMetrics(run.coordinator, { registry, bus: run.bus });
    const text = await registry.metrics();
    expect(series(text, 'mds_coord_items_dead_lettered_total')).toEqual([
      'mds_coord_items_dead_lettered_total{coord_id="ticks",reason="retries_exhausted"} 0',
      'mds_coord_items_dead_lettered_total{coord_id="ticks",reason="non_retryable"} 0',
      'mds_coord_items_dead_lettered_total{coord_id="ticks",reason="shutdown"} 0',
      'mds_coord_items_dead_lettered_total{coord_id="ticks",reason="unknown"} 5',
    ]);
    expect(series(text, 'mds_worker_write_errors_total')).toEqual([
      'mds_worker_write_errors_total{coord_id="ticks",error_type="unknown"} 3',
    ]);
    // Totals come from health() itself.
    expect(series(text, 'mds_coord_items_written_total')).toEqual([
      'mds_coord_items_written_total{coord_id="ticks"} 100',
    ]);
  });

  it('aggregates level, circuit state and utilisation by max in a cluster registry, depth by sum', async () => {
    const worker = async (items: number) => {
      const registry = new Registry();
      const coordinator = quietCoordinator('rows');
      registerCoordinatorMetrics(coordinator, { registry, bus: null });
      await coordinator.submitMany(Array.from({ length: items }, (_, i) => i));
      return registry.getMetricsAsJSON();
    };
    const cluster = AggregatorRegistry.aggregate([await worker(9), await worker(1)]);
    const text = await cluster.metrics();
    expect(series(text, 'mds_coord_backpressure_level')).toEqual([
      'mds_coord_backpressure_level{coord_id="rows"} 2',
    ]);
    expect(series(text, 'mds_coord_utilization')).toEqual(['mds_coord_utilization{coord_id="rows"} 0.9']);
    expect(series(text, 'mds_coord_circuit_state')).toEqual(['mds_coord_circuit_state{coord_id="rows"} 0']);
    expect(series(text, 'mds_coord_queue_depth')).toEqual(['mds_coord_queue_depth{coord_id="rows"} 10']);
  });

  describe('bad input', () => {
    it('requires a registry', () => {
      const coordinator = quietCoordinator('a');
      expect(() => registerCoordinatorMetrics(coordinator, {} as never)).toThrow(
        new TypeError(
          'registry must be a prom-client Registry (the global registry is never used by default), found undefined',
        ),
      );
      expect(() => registerCoordinatorMetrics(coordinator, undefined as never)).toThrow(TypeError);
    });

    it('refuses a prefix that cannot start a metric name', () => {
      expect(() =>
        registerCoordinatorMetrics(quietCoordinator('a'), { registry: new Registry(), prefix: '1x-' }),
      ).toThrow(
        new RangeError(
          'prefix must match [a-zA-Z_:][a-zA-Z0-9_:]* (the start of a Prometheus metric name) or be empty, found "1x-"',
        ),
      );
    });

    it('refuses bad latency buckets', () => {
      const registry = new Registry();
      expect(() =>
        registerCoordinatorMetrics(quietCoordinator('a'), { registry, latencyBuckets: [1, 0.5] }),
      ).toThrow(new RangeError('latencyBuckets must increase strictly, found 0.5 after 1'));
      expect(() =>
        registerCoordinatorMetrics(quietCoordinator('b'), { registry, latencyBuckets: [] }),
      ).toThrow(TypeError);
    });

    it('refuses something that is not a coordinator', () => {
      expect(() =>
        registerCoordinatorMetrics([quietCoordinator('a'), { id: 'b' } as never], {
          registry: new Registry(),
        }),
      ).toThrow(
        new TypeError(
          'coordinators[1] must be a WriteCoordinator (an object with id, health(), writes$, feedback$, errors$ and dropped$), found object',
        ),
      );
    });

    it('refuses two coordinators with one id, registering nothing', () => {
      const registry = new Registry();
      expect(() =>
        registerCoordinatorMetrics([quietCoordinator('a'), quietCoordinator('a')], { registry }),
      ).toThrow(
        new RangeError(
          'coordinators must have distinct ids (their series are told apart by coord_id), found two with id "a"',
        ),
      );
      expect(registry.getMetricsAsArray()).toHaveLength(0);
    });

    it('refuses names the registry already holds, registering nothing', () => {
      const registry = new Registry();
      registerCoordinatorMetrics(quietCoordinator('a'), { registry, bus: null });
      expect(() => registerCoordinatorMetrics(quietCoordinator('b'), { registry, bus: null })).toThrow(
        /^registry must not hold these metrics yet \(use another prefix or registry, or unregister the earlier ones\), found mds_coord_items_submitted_total, /,
      );
      expect(registry.getMetricsAsArray()).toHaveLength(16);
    });
  });
});
