import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import { PACKAGE_VERSION } from '../../lib/internal/package-version.js';
import { instrumentCoordinators } from '../../lib/otel/index.js';
import { normalizeExposition } from '../support/exposition.js';
import { scriptedCoordinator } from '../support/scripted-run.js';

/** A reader that keeps nothing and exports nowhere: each `collect()` is one collection, in memory. */
class InMemoryReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  async read(): Promise<ResourceMetrics> {
    const { resourceMetrics, errors } = await this.collect();
    if (errors.length > 0) throw errors[0];
    return resourceMetrics;
  }
}

function setup() {
  const reader = new InMemoryReader({
    aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE,
  });
  const provider = new MeterProvider({ readers: [reader] });
  return { reader, provider, meter: provider.getMeter('spec') };
}

/** The OpenTelemetry Prometheus exporter's text for one collection, without target and scope info. */
const toPrometheus = (resourceMetrics: ResourceMetrics) =>
  new PrometheusSerializer(undefined, false, undefined, true, true).serialize(resourceMetrics);

/** `name{labels}` → value, for every sum and gauge point of a collection. */
function pointsOf(resourceMetrics: ResourceMetrics): Map<string, number> {
  const points = new Map<string, number>();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.dataPointType === DataPointType.HISTOGRAM) continue;
      for (const point of metric.dataPoints) {
        const labels = Object.entries(point.attributes)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(',');
        points.set(`${metric.descriptor.name}{${labels}}`, point.value as number);
      }
    }
  }
  return points;
}

const live: WriteCoordinator<unknown>[] = [];
function track<T>(coordinator: WriteCoordinator<T>): WriteCoordinator<T> {
  live.push(coordinator as WriteCoordinator<unknown>);
  return coordinator;
}
afterEach(async () => {
  await Promise.all(live.splice(0).map((c) => c.stop({ drain: false, timeoutMs: 100 })));
});

describe('instrumentCoordinators', () => {
  it('yields, through the Prometheus exporter, the same exposition as the prom-client adapter after the scripted run', async () => {
    const { reader, meter } = setup();
    const run = scriptedCoordinator();
    track(run.coordinator);
    instrumentCoordinators(run.coordinator, { meter, bus: run.bus });
    await run.run();
    const text = toPrometheus(await reader.read());
    const golden = readFileSync(join(__dirname, '../prometheus/golden/scripted-run.prom'), 'utf8');
    expect(normalizeExposition(text)).toEqual(normalizeExposition(golden));
  });

  it('reports the scripted run values as data points', async () => {
    const { reader, meter } = setup();
    const run = scriptedCoordinator();
    track(run.coordinator);
    instrumentCoordinators(run.coordinator, { meter, bus: run.bus });
    await run.run();
    const resourceMetrics = await reader.read();
    const points = pointsOf(resourceMetrics);
    expect(points.get('mds_coord_items_written_total{coord_id=ticks}')).toBe(100);
    expect(points.get('mds_coord_items_dead_lettered_total{coord_id=ticks,reason=non_retryable}')).toBe(5);
    expect(points.get('mds_worker_write_errors_total{coord_id=ticks,error_type=ConnectionResetError}')).toBe(
      2,
    );
    expect(points.get('mds_feedback_events_total{coordinator_id=ticks,level=hard}')).toBe(1);
    expect(points.get('mds_coord_level_seconds_total{coord_id=ticks,level=hard}')).toBe(0.05);
    expect(points.get('mds_feedback_subscribers{}')).toBe(1);
    const latency = resourceMetrics.scopeMetrics[0]!.metrics.find(
      (m) => m.descriptor.name === 'mds_worker_write_latency_seconds',
    )!;
    expect(latency.descriptor.unit).toBe('s');
    expect(latency.dataPointType).toBe(DataPointType.HISTOGRAM);
    const histogram = latency.dataPoints[0]!.value as { count: number; buckets: { counts: number[] } };
    expect(histogram.count).toBe(10);
    expect(histogram.buckets.counts.slice(0, 6)).toEqual([0, 9, 0, 0, 0, 1]);
  });

  it('reads every coordinator once per collection, in one batch callback', async () => {
    const { reader, meter } = setup();
    const add = jest.spyOn(meter, 'addBatchObservableCallback');
    const a = track(new WriteCoordinator<number>({ id: 'a', sink: () => undefined, bus: null }));
    const b = track(new WriteCoordinator<number>({ id: 'b', sink: () => undefined, bus: null }));
    const healthA = jest.spyOn(a, 'health');
    const healthB = jest.spyOn(b, 'health');
    instrumentCoordinators([a, b], { meter, bus: null });
    expect(add).toHaveBeenCalledTimes(1);
    await reader.read();
    expect([healthA.mock.calls.length, healthB.mock.calls.length]).toEqual([1, 1]);
    await reader.read();
    expect([healthA.mock.calls.length, healthB.mock.calls.length]).toEqual([2, 2]);
  });

  it('tells two coordinators apart by coord_id', async () => {
    const { reader, meter } = setup();
    const a = track(
      new WriteCoordinator<number>({ id: 'a', sink: () => undefined, capacity: 10, bus: null }),
    );
    const b = track(
      new WriteCoordinator<number>({ id: 'b', sink: () => undefined, capacity: 20, bus: null }),
    );
    instrumentCoordinators([a, b], { meter, bus: null });
    await a.submitMany([1, 2, 3]);
    const points = pointsOf(await reader.read());
    expect(points.get('mds_coord_queue_depth{coord_id=a}')).toBe(3);
    expect(points.get('mds_coord_queue_depth{coord_id=b}')).toBe(0);
    expect(points.get('mds_coord_capacity{coord_id=b}')).toBe(20);
    expect(points.has('mds_feedback_subscribers{}')).toBe(false);
  });

  // With cumulative temporality the SDK keeps exporting the last value of a series it stopped
  // receiving: what shows that nothing is observed any more is that health() is not read, and that
  // the values no longer move.
  it('unregister() removes the callback: the coordinator is not read any more', async () => {
    const { reader, meter } = setup();
    const a = track(new WriteCoordinator<number>({ id: 'a', sink: () => undefined, bus: null }));
    const instruments = instrumentCoordinators(a, { meter, bus: null });
    expect(pointsOf(await reader.read()).get('mds_coord_queue_depth{coord_id=a}')).toBe(0);
    const healthA = jest.spyOn(a, 'health');
    instruments.unregister();
    instruments.unregister(); // idempotent
    await a.submitMany([1, 2]);
    expect(pointsOf(await reader.read()).get('mds_coord_queue_depth{coord_id=a}')).toBe(0);
    expect(healthA).not.toHaveBeenCalled();
    expect(() => instruments.add(a)).toThrow(
      new RangeError(
        'add expects instruments that are still registered, found them unregistered: call instrumentCoordinators again',
      ),
    );
  });

  it('adds and removes coordinators later', async () => {
    const { reader, meter } = setup();
    const instruments = instrumentCoordinators([], { meter, bus: null });
    expect(pointsOf(await reader.read()).size).toBe(0);
    const a = track(new WriteCoordinator<number>({ id: 'a', sink: () => undefined, bus: null }));
    instruments.add(a);
    expect(pointsOf(await reader.read()).get('mds_coord_capacity{coord_id=a}')).toBe(10_000);
    instruments.remove(a);
    const healthA = jest.spyOn(a, 'health');
    await a.submitMany([1, 2]);
    expect(pointsOf(await reader.read()).get('mds_coord_queue_depth{coord_id=a}')).toBe(0);
    expect(healthA).not.toHaveBeenCalled();
  });

  it("uses the global meter 'rxjs-backpressure' at this package's version by default", async () => {
    const { reader, provider } = setup();
    metrics.setGlobalMeterProvider(provider);
    try {
      const a = track(new WriteCoordinator<number>({ id: 'a', sink: () => undefined, bus: null }));
      instrumentCoordinators(a, { bus: null });
      const { scopeMetrics } = await reader.read();
      expect(scopeMetrics.map((s) => [s.scope.name, s.scope.version])).toEqual([
        ['rxjs-backpressure', PACKAGE_VERSION],
      ]);
    } finally {
      metrics.disable();
    }
  });

  it('refuses a meter that is not one, and bad options', () => {
    const a = track(new WriteCoordinator<number>({ id: 'a', sink: () => undefined, bus: null }));
    expect(() => instrumentCoordinators(a, { meter: {} as never })).toThrow(
      new TypeError('meter must be an OpenTelemetry Meter (@opentelemetry/api 1.4 or later), found object'),
    );
    expect(() => instrumentCoordinators(a, { meter: setup().meter, prefix: 'a b' })).toThrow(RangeError);
    const { meter } = setup();
    const createHistogram = jest.spyOn(meter, 'createHistogram');
    expect(() => instrumentCoordinators([a, {} as never], { meter })).toThrow(TypeError);
    expect(createHistogram).not.toHaveBeenCalled(); // nothing created on the meter
  });
});

describe('PACKAGE_VERSION', () => {
  it("is package.json's version", () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as {
      version: string;
    };
    expect(PACKAGE_VERSION).toBe(pkg.version);
  });
});
