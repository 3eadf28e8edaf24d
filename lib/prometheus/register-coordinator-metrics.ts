import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { describeValue } from '../internal/describe-value.js';
import { feedbackBus, type FeedbackBus } from '../feedback/feedback-bus.js';
import {
  COLLECTED_METRIC_KEYS,
  COORDINATOR_METRICS,
  COORD_LABEL,
  DEFAULT_LATENCY_BUCKETS,
  assertLatencyBuckets,
  assertMetricPrefix,
} from '../metrics/coordinator-metric-catalog.js';
import { CoordinatorSet } from '../metrics/coordinator-set.js';
import type { MetricsCoordinator } from '../metrics/metrics-coordinator.js';

/**
 * Options of {@link registerCoordinatorMetrics}.
 *
 * @example
 * ```ts
 * const options: CoordinatorMetricsOptions = { registry: new Registry(), prefix: 'ingest_', bus: null };
 * registerCoordinatorMetrics(coordinator, options);
 * ```
 */
export interface CoordinatorMetricsOptions {
  /**
   * The prom-client `Registry` to register into. Required: the adapter never touches prom-client's
   * global registry and never starts default metrics; pass `register` from prom-client yourself
   * if that is where you want them.
   */
  readonly registry: Registry;
  /**
   * Put before every metric name. The default keeps the Python market-data store's names.
   * @default 'mds_'
   */
  readonly prefix?: string;
  /**
   * Upper bounds, in seconds, of the batch latency histogram's buckets.
   * @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
   */
  readonly latencyBuckets?: readonly number[];
  /**
   * The bus whose `subscriberCount` is `mds_feedback_subscribers`; with `null` that gauge is not
   * registered.
   * @default feedbackBus() (the process-wide bus coordinators publish on by default)
   */
  readonly bus?: FeedbackBus | null;
}

/**
 * The handle {@link registerCoordinatorMetrics} returns.
 *
 * @example
 * ```ts
 * const metrics: CoordinatorMetrics = registerCoordinatorMetrics([], { registry });
 * metrics.add(coordinator); // reported from the next scrape on
 * metrics.remove(coordinator); // its series are gone from the next scrape on
 * metrics.unregister(); // the registry holds none of these metrics any more
 * ```
 */
export interface CoordinatorMetrics {
  /**
   * Reports more coordinators (adding one again changes nothing).
   * @throws TypeError for something that is not a coordinator, RangeError for an id already
   *   reported by another coordinator or after `unregister()`.
   */
  add(coordinators: MetricsCoordinator | readonly MetricsCoordinator[]): void;
  /** Stops reporting coordinators; their series disappear from the next scrape. */
  remove(coordinators: MetricsCoordinator | readonly MetricsCoordinator[]): void;
  /** Removes every metric from the registry and lets go of the coordinators. Idempotent. */
  unregister(): void;
}

/**
 * Exports coordinators' health as Prometheus metrics in a prom-client registry, under the names,
 * labels and encodings of the Python market-data store's Phase 6.0A metrics (`mds_coord_*`,
 * `mds_worker_*`, `mds_feedback_*`, label `coord_id`) and a few it lacked (capacity, utilisation,
 * level, written / rejected / dead-lettered items, time in each level). Gauges read `health()` at
 * scrape time, counters mirror its totals, and the latency histogram is fed from `writes$`. The
 * level, circuit and utilisation gauges aggregate by `max` in a cluster registry.
 *
 * prom-client (14 or 15) is an optional peer dependency: install it yourself; this entry point is
 * the only one that imports it.
 *
 * @throws TypeError / RangeError for bad options, a non-coordinator, duplicate ids, or names the
 *   registry already holds (nothing is registered then).
 * @example
 * ```ts
 * import { Registry } from 'prom-client';
 * import { WriteCoordinator } from 'rxjs-backpressure';
 * import { registerCoordinatorMetrics } from 'rxjs-backpressure/prometheus';
 *
 * const registry = new Registry();
 * const coordinator = new WriteCoordinator<Row>({ id: 'rows', sink });
 * const metrics = registerCoordinatorMetrics(coordinator, { registry });
 * app.get('/metrics', async (_req, res) => {
 *   res.type(registry.contentType).send(await registry.metrics());
 * });
 * // at shutdown
 * metrics.unregister();
 * ```
 */
export function registerCoordinatorMetrics(
  coordinators: MetricsCoordinator | readonly MetricsCoordinator[],
  options: CoordinatorMetricsOptions,
): CoordinatorMetrics {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      `registerCoordinatorMetrics options must be an object with a registry, found ${describeValue(options)}`,
    );
  }
  const { registry, prefix = 'mds_', latencyBuckets = DEFAULT_LATENCY_BUCKETS, bus } = options;
  if (
    typeof registry !== 'object' ||
    registry === null ||
    typeof (registry as Partial<Registry>).registerMetric !== 'function' ||
    typeof (registry as Partial<Registry>).removeSingleMetric !== 'function' ||
    typeof (registry as Partial<Registry>).getSingleMetric !== 'function'
  ) {
    throw new TypeError(
      `registry must be a prom-client Registry (the global registry is never used by default), found ${describeValue(registry)}`,
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

  const resolvedBus = bus === undefined ? feedbackBus() : bus;
  // Without a bus the subscriber gauge would read a constant 0: it is left out instead.
  const keys = COLLECTED_METRIC_KEYS.filter((key) => resolvedBus !== null || key !== 'feedbackSubscribers');
  const names = [...keys, 'writeLatency' as const].map((key) => prefix + COORDINATOR_METRICS[key].name);
  const taken = names.filter((name) => registry.getSingleMetric(name) !== undefined);
  if (taken.length > 0) {
    throw new RangeError(
      `registry must not hold these metrics yet (use another prefix or registry, or unregister the earlier ones), found ${taken.join(', ')}`,
    );
  }

  let histogram: Histogram<string> | null = null;
  const set = new CoordinatorSet(resolvedBus, (id, seconds) =>
    histogram?.observe({ [COORD_LABEL]: id }, seconds),
  );
  set.add(coordinators);

  for (const key of keys) {
    const spec = COORDINATOR_METRICS[key];
    const common = {
      name: prefix + spec.name,
      help: spec.help,
      labelNames: [...spec.labels],
      registers: [registry],
      ...('aggregator' in spec ? { aggregator: spec.aggregator } : {}),
    };
    if (spec.kind === 'gauge') {
      new Gauge({
        ...common,
        collect(this: Gauge<string>) {
          this.reset();
          for (const sample of set.samples().get(key)!) this.set(sample.labels, sample.value);
        },
      });
    } else {
      new Counter({
        ...common,
        // A counter that mirrors a total: reset, then set to the total by one increment.
        collect(this: Counter<string>) {
          this.reset();
          for (const sample of set.samples().get(key)!) this.inc(sample.labels, sample.value);
        },
      });
    }
  }
  const latency = COORDINATOR_METRICS.writeLatency;
  histogram = new Histogram({
    name: prefix + latency.name,
    help: latency.help,
    labelNames: [...latency.labels],
    buckets: [...buckets],
    registers: [registry],
  });

  let registered = true;
  return {
    add(more) {
      if (!registered) {
        throw new RangeError(
          'add expects metrics that are still registered, found them unregistered: call registerCoordinatorMetrics again',
        );
      }
      set.add(more);
    },
    remove(fewer) {
      for (const id of set.remove(fewer)) histogram?.remove({ [COORD_LABEL]: id });
    },
    unregister() {
      if (!registered) return;
      registered = false;
      set.clear();
      for (const name of names) registry.removeSingleMetric(name);
      histogram = null;
    },
  };
}
