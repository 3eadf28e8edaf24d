// Public API of `rxjs-backpressure/prometheus`: coordinator metrics in a prom-client registry. The
// only entry point that imports prom-client (an optional peer dependency).
export {
  registerCoordinatorMetrics,
  type CoordinatorMetrics,
  type CoordinatorMetricsOptions,
} from './register-coordinator-metrics.js';
export type { MetricsCoordinator } from '../metrics/metrics-coordinator.js';
