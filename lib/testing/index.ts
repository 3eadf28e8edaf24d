// Public API of `rxjs-backpressure/testing`: helpers for marble tests. Depends on `rxjs/testing`
// only, never on a test framework.
export { LEVEL_VALUES, DIGIT_VALUES, levelsOf } from './level-values.js';
export { FakeDepthQueue } from './fake-depth-queue.js';
export { createTestScheduler } from './create-test-scheduler.js';
