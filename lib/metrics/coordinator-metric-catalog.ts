import { describeValue } from '../internal/describe-value.js';

/**
 * Every metric both adapters export, once: name (without the prefix), kind, help text and labels.
 * The first ten keep the names, labels and encodings of the Python market-data store's Phase 6.0A
 * metrics, so that dashboards built on it keep working; the rest are what it lacked.
 */
export interface CoordinatorMetricSpec {
  /** The metric name after the prefix (`mds_` by default). */
  readonly name: string;
  readonly kind: 'gauge' | 'counter' | 'histogram';
  readonly help: string;
  readonly labels: readonly string[];
  /** How a cluster registry combines the workers' values (prom-client's `aggregator`). */
  readonly aggregator?: 'max';
  /** The OpenTelemetry unit (none for counts and ratios: an exporter may append a unit suffix). */
  readonly unit?: 's';
}

/** The label naming the coordinator, as the Python store's coordinator metrics call it. */
export const COORD_LABEL = 'coord_id';
/** The Python store's feedback counter named the coordinator `coordinator_id`; kept as it was. */
export const FEEDBACK_COORD_LABEL = 'coordinator_id';

/**
 * Batch latency buckets in seconds: prom-client's defaults, given to OpenTelemetry too so that both
 * adapters produce the same histogram.
 */
export const DEFAULT_LATENCY_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export const COORDINATOR_METRICS = {
  itemsSubmitted: {
    name: 'coord_items_submitted_total',
    kind: 'counter',
    help: 'Items submitted to coordinator (accepted or refused)',
    labels: [COORD_LABEL],
  },
  itemsDropped: {
    name: 'coord_items_dropped_total',
    kind: 'counter',
    help: 'Items dropped by overflow/drop policies',
    labels: [COORD_LABEL, 'reason'],
  },
  queueDepth: {
    name: 'coord_queue_depth',
    kind: 'gauge',
    help: 'Current coordinator queue depth (queued plus in flight)',
    labels: [COORD_LABEL],
  },
  workersAlive: {
    name: 'coord_workers_alive',
    kind: 'gauge',
    help: 'Number of alive workers',
    labels: [COORD_LABEL],
  },
  circuitState: {
    name: 'coord_circuit_state',
    kind: 'gauge',
    help: 'Circuit state: 0=closed, 1=open, 2=half_open',
    labels: [COORD_LABEL],
    aggregator: 'max',
  },
  batchesWritten: {
    name: 'worker_batches_written_total',
    kind: 'counter',
    help: 'Batches successfully written',
    labels: [COORD_LABEL],
  },
  writeErrors: {
    name: 'worker_write_errors_total',
    kind: 'counter',
    help: 'Failed write attempts (every failed attempt counts, retried or not)',
    labels: [COORD_LABEL, 'error_type'],
  },
  writeLatency: {
    name: 'worker_write_latency_seconds',
    kind: 'histogram',
    help: 'Time from a worker taking a batch to the sink storing it, retries included',
    labels: [COORD_LABEL],
    unit: 's',
  },
  feedbackEvents: {
    name: 'feedback_events_total',
    kind: 'counter',
    help: 'Feedback events published',
    labels: [FEEDBACK_COORD_LABEL, 'level'],
  },
  feedbackSubscribers: {
    name: 'feedback_subscribers',
    kind: 'gauge',
    help: 'Active feedback subscribers',
    labels: [],
  },
  capacity: {
    name: 'coord_capacity',
    kind: 'gauge',
    help: 'Most items the coordinator holds (queued plus in flight)',
    labels: [COORD_LABEL],
  },
  utilization: {
    name: 'coord_utilization',
    kind: 'gauge',
    help: 'Queue depth over capacity, 0 to 1',
    labels: [COORD_LABEL],
    aggregator: 'max',
  },
  backpressureLevel: {
    name: 'coord_backpressure_level',
    kind: 'gauge',
    help: 'Backpressure level: 0=ok, 1=soft, 2=hard',
    labels: [COORD_LABEL],
    aggregator: 'max',
  },
  itemsWritten: {
    name: 'coord_items_written_total',
    kind: 'counter',
    help: 'Items the sink stored',
    labels: [COORD_LABEL],
  },
  itemsRejected: {
    name: 'coord_items_rejected_total',
    kind: 'counter',
    help: 'Submits refused (full under reject, aborted or timed-out waits, after stop)',
    labels: [COORD_LABEL],
  },
  itemsDeadLettered: {
    name: 'coord_items_dead_lettered_total',
    kind: 'counter',
    help: 'Items handed to the dead-letter queue',
    labels: [COORD_LABEL, 'reason'],
  },
  levelSeconds: {
    name: 'coord_level_seconds_total',
    kind: 'counter',
    help: 'Time spent in each backpressure level',
    labels: [COORD_LABEL, 'level'],
    unit: 's',
  },
} as const satisfies Record<string, CoordinatorMetricSpec>;

/** A key of {@link COORDINATOR_METRICS}. */
export type CoordinatorMetricKey = keyof typeof COORDINATOR_METRICS;

/** The metrics read at collection time (all but the histogram, which is fed from `writes$`). */
export const COLLECTED_METRIC_KEYS = (Object.keys(COORDINATOR_METRICS) as CoordinatorMetricKey[]).filter(
  (key) => COORDINATOR_METRICS[key].kind !== 'histogram',
);

const METRIC_PREFIX = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

/** Checks the `prefix` option: empty, or the start of a valid Prometheus metric name. */
export function assertMetricPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string') {
    throw new TypeError(`prefix must be a string, found ${describeValue(prefix)}`);
  }
  if (!METRIC_PREFIX.test(prefix)) {
    throw new RangeError(
      `prefix must match [a-zA-Z_:][a-zA-Z0-9_:]* (the start of a Prometheus metric name) or be empty, found ${JSON.stringify(prefix)}`,
    );
  }
  return prefix;
}

/** Checks the `latencyBuckets` option: finite, positive, strictly increasing upper bounds in seconds. */
export function assertLatencyBuckets(buckets: unknown): readonly number[] {
  if (!Array.isArray(buckets) || buckets.length === 0) {
    throw new TypeError(
      `latencyBuckets must be a non-empty array of seconds, found ${describeValue(buckets)}`,
    );
  }
  (buckets as unknown[]).forEach((bound, i) => {
    if (typeof bound !== 'number' || !Number.isFinite(bound) || bound <= 0) {
      throw new RangeError(`latencyBuckets[${i}] must be a finite number > 0, found ${describeValue(bound)}`);
    }
    if (i > 0 && bound <= (buckets as number[])[i - 1]!) {
      throw new RangeError(
        `latencyBuckets must increase strictly, found ${String(bound)} after ${String((buckets as number[])[i - 1])}`,
      );
    }
  });
  return [...(buckets as number[])];
}
