import type { BackpressureLevel } from '../levels/backpressure-level.js';

/**
 * Marble values for levels: `o` = `'ok'`, `s` = `'soft'`, `h` = `'hard'`.
 *
 * @example
 * ```ts
 * testScheduler.run(({ cold, expectObservable }) => {
 *   const depth$ = cold('a-b-c', { a: 0, b: 5, c: 8 });
 *   expectObservable(depth$.pipe(toBackpressureLevel(10))).toBe('o-s-h', LEVEL_VALUES);
 * });
 * ```
 */
export const LEVEL_VALUES: Readonly<{ o: 'ok'; s: 'soft'; h: 'hard' }> = Object.freeze({
  o: 'ok',
  s: 'soft',
  h: 'hard',
});

/**
 * Marble values for depths 0 to 9, keyed by their digit, for short depth marbles.
 *
 * @example
 * ```ts
 * const depth$ = cold('0-4-5-8', DIGIT_VALUES); // depths 0, 4, 5, 8
 * ```
 */
export const DIGIT_VALUES: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(Array.from({ length: 10 }, (_, i) => [String(i), i])),
);

/**
 * Turns a level marble into the levels it names, for assertions outside marbles.
 *
 * @example
 * ```ts
 * levelsOf('o-s-h'); // ['ok', 'soft', 'hard']
 * ```
 */
export function levelsOf(marble: string): BackpressureLevel[] {
  const levels: BackpressureLevel[] = [];
  for (const char of marble) {
    if (char in LEVEL_VALUES) levels.push(LEVEL_VALUES[char as keyof typeof LEVEL_VALUES]);
  }
  return levels;
}
