import { TestScheduler } from 'rxjs/testing';

/**
 * A `TestScheduler` wired to the deep-equality assertion of your test framework, so marble tests
 * stay one line. The library never imports a test framework itself.
 *
 * @example
 * ```ts
 * // jest
 * const scheduler = createTestScheduler((actual, expected) => expect(actual).toEqual(expected));
 * scheduler.run(({ cold, expectObservable }) => {
 *   expectObservable(cold('0-8', DIGIT_VALUES).pipe(toBackpressureLevel(10))).toBe('o-h', LEVEL_VALUES);
 * });
 * ```
 */
export function createTestScheduler(
  assertDeepEqual: (actual: unknown, expected: unknown) => void,
): TestScheduler {
  if (typeof assertDeepEqual !== 'function') {
    throw new TypeError(`assertDeepEqual must be a function, found ${typeof assertDeepEqual}`);
  }
  return new TestScheduler((actual, expected) => assertDeepEqual(actual, expected));
}
