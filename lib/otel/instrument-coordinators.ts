import {
  metrics,
  type BatchObservableResult,
  type Histogram,
  type Meter,
  type Observable,
} from '@opentelemetry/api';
import { describeValue } from '../internal/describe-value.js';
import { feedbackBus, type FeedbackBus } from '../feedback/feedback-bus.js';
import { PACKAGE_VERSION } from '../internal/package-version.js';
import {
  COLLECTED_METRIC_KEYS,
  COORDINATOR_METRICS,
  COORD_LABEL,
  DEFAULT_LATENCY_BUCKETS,
  assertLatencyBuckets,
  assertMetricPrefix,
  type CoordinatorMetricKey,
} from '../metrics/coordinator-metric-catalog.js';
import { CoordinatorSet } from '../metrics/coordinator-set.js';
import type { MetricsCoordinator } from '../metrics/metrics-coordinator.js';

/**
 * Options of {@link instrumentCoordinators}.
 *
 * @example
 * ```ts
 * const options: InstrumentCoordinatorsOptions = { meter: provider.getMeter('ingest'), latencyBuckets: [0.01, 0.1, 1] };
 * instrumentCoordinators(coordinator, options);
 * ```
 */
export interface InstrumentCoordinatorsOptions {
  /**
   * The meter to create the instruments on.
   * @default metrics.getMeter('rxjs-backpressure', <this package's version>)
   */
  readonly meter?: Meter;
  /**
   * Put before every instrument name. The default gives the Python market-data store's metric names
   * once a Prometheus exporter has translated them.
   * @default 'mds_'
   */
  readonly prefix?: string;
  /**
   * Bucket boundaries, in seconds, advised for the batch latency histogram (an SDK older than
   * `@opentelemetry/api` 1.7's advice, or a View, may override them).
   * @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
   */
  readonly latencyBuckets?: readonly number[];
  /**
   * The bus whose `subscriberCount` is `mds_feedback_subscribers`; with `null` that gauge reports
   * nothing.
   * @default feedbackBus() (the process-wide bus coordinators publish on by default)
   */
  readonly bus?: FeedbackBus | null;
}

/**
 * The handle {@link instrumentCoordinators} returns.
 *
 * @example
 * ```ts
 * const instruments: CoordinatorInstruments = instrumentCoordinators([]);
 * instruments.add(coordinator); // observed from the next collection on
 * instruments.remove(coordinator);
 * instruments.unregister(); // removes the batch callback; the histogram records no more
 * ```
 */
export interface CoordinatorInstruments {
  /**
   * Observes more coordinators (adding one again changes nothing).
   * @throws TypeError for something that is not a coordinator, RangeError for an id already
   *   observed by another coordinator or after `unregister()`.
   */
  add(coordinators: MetricsCoordinator | readonly MetricsCoordinator[]): void;
  /** Stops observing coordinators; their series are no longer reported. */
  remove(coordinators: MetricsCoordinator | readonly MetricsCoordinator[]): void;
  /**
   * Removes the batch callback and lets go of the coordinators. Idempotent. (OpenTelemetry cannot
   * delete an instrument: the histogram stays on the meter and records nothing more.)
   */
  unregister(): void;
}

/**
 * Instruments coordinators with OpenTelemetry metrics: the same set as the Prometheus adapter, as
 * observable gauges and counters read in one batch callback per collection (one `health()` snapshot
 * per coordinator), and a histogram recorded from `writes$`. Instrument names are the Prometheus
 * names (`mds_coord_queue_depth`, `mds_coord_items_written_total`, ...), so that the OpenTelemetry
 * Prometheus exporter yields exactly the Python market-data store's names; attributes are the same
 * labels (`coord_id`, and `coordinator_id` on feedback events).
 *
 * `@opentelemetry/api` (1.4 or later) is an optional peer dependency: install it yourself; this
 * entry point is the only one that imports it.
 *
 * @throws TypeError / RangeError for bad options, a non-coordinator or duplicate ids.
 * @example
 * ```ts
 * import { MeterProvider } from '@opentelemetry/sdk-metrics';
 * import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
 * import { instrumentCoordinators } from 'rxjs-backpressure/otel';
 *
 * const provider = new MeterProvider({ readers: [new PrometheusExporter({ port: 9464 })] });
 * const instruments = instrumentCoordinators([bars, quotes], {
 *   meter: provider.getMeter('ingest'),
 * });
 * // at shutdown
 * instruments.unregister();
 * ```
 */
export function instrumentCoordinators(
  coordinators: MetricsCoordinator | readonly MetricsCoordinator[],
  options: InstrumentCoordinatorsOptions = {},
): CoordinatorInstruments {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`instrumentCoordinators options must be an object, found ${describeValue(options)}`);
  }
  const {
    meter = metrics.getMeter('rxjs-backpressure', PACKAGE_VERSION),
    prefix = 'mds_',
    latencyBuckets = DEFAULT_LATENCY_BUCKETS,
    bus,
  } = options;
  if (
    typeof meter !== 'object' ||
    meter === null ||
    typeof (meter as Partial<Meter>).addBatchObservableCallback !== 'function' ||
    typeof (meter as Partial<Meter>).createHistogram !== 'function'
  ) {
    throw new TypeError(
      `meter must be an OpenTelemetry Meter (@opentelemetry/api 1.4 or later), found ${describeValue(meter)}`,
    );
  }
  assertMetricPrefix(prefix);
  const buckets = assertLatencyBuckets(latencyBuckets);
  if (
    bus !== undefined &&
    bus !== null &&
    typeof (bus as Partial<FeedbackBus>).subscriberCount !== 'number'
  ) {
    throw new TypeError(`bus must be a FeedbackBus or null, found ${describeValue(bus)}`);
  }

  let histogram: Histogram | null = null;
  let recording = true;
  const set = new CoordinatorSet(bus === undefined ? feedbackBus() : bus, (id, seconds) => {
    if (recording) histogram?.record(seconds, { [COORD_LABEL]: id });
  });
  // Checked before any instrument exists: a meter cannot take an instrument back.
  set.add(coordinators);
  const latency = COORDINATOR_METRICS.writeLatency;
  histogram = meter.createHistogram(prefix + latency.name, {
    description: latency.help,
    unit: latency.unit,
    advice: { explicitBucketBoundaries: [...buckets] },
  });

  const observables = new Map<CoordinatorMetricKey, Observable>();
  for (const key of COLLECTED_METRIC_KEYS) {
    const spec: { name: string; kind: string; help: string; unit?: string } = COORDINATOR_METRICS[key];
    const instrumentOptions = { description: spec.help, ...(spec.unit ? { unit: spec.unit } : {}) };
    observables.set(
      key,
      spec.kind === 'gauge'
        ? meter.createObservableGauge(prefix + spec.name, instrumentOptions)
        : meter.createObservableCounter(prefix + spec.name, instrumentOptions),
    );
  }
  const callback = (observer: BatchObservableResult): void => {
    for (const [key, samples] of set.samples()) {
      const observable = observables.get(key)!;
      for (const sample of samples) observer.observe(observable, sample.value, sample.labels);
    }
  };
  const observed = [...observables.values()];
  meter.addBatchObservableCallback(callback, observed);

  return {
    add(more) {
      if (!recording) {
        throw new RangeError(
          'add expects instruments that are still registered, found them unregistered: call instrumentCoordinators again',
        );
      }
      set.add(more);
    },
    remove(fewer) {
      set.remove(fewer);
    },
    unregister() {
      if (!recording) return;
      recording = false;
      meter.removeBatchObservableCallback(callback, observed);
      set.clear();
    },
  };
}
