// Public API of `rxjs-backpressure/otel`: coordinator metrics as OpenTelemetry instruments. The only
// entry point that imports @opentelemetry/api (an optional peer dependency).
export {
  instrumentCoordinators,
  type CoordinatorInstruments,
  type InstrumentCoordinatorsOptions,
} from './instrument-coordinators.js';
export type { MetricsCoordinator } from '../metrics/metrics-coordinator.js';
