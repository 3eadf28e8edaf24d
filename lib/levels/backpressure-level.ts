/**
 * How hard a store is pushing back: `'ok'` (write freely), `'soft'` (slow down), `'hard'` (stop).
 *
 * @example
 * ```ts
 * const level: BackpressureLevel = coordinator.level;
 * if (level === 'hard') source.pause();
 * ```
 */
export type BackpressureLevel = 'ok' | 'soft' | 'hard';

/**
 * All levels, mildest first. Their order is the order of severity.
 *
 * @example
 * ```ts
 * for (const level of BACKPRESSURE_LEVELS) gauge.set({ level }, level === coordinator.level ? 1 : 0);
 * ```
 */
export const BACKPRESSURE_LEVELS: readonly BackpressureLevel[] = Object.freeze(['ok', 'soft', 'hard']);

const SEVERITY: Readonly<Record<BackpressureLevel, number>> = { ok: 0, soft: 1, hard: 2 };

/**
 * Tells whether `value` is one of `'ok'`, `'soft'`, `'hard'`.
 *
 * @example
 * ```ts
 * isBackpressureLevel('soft'); // true
 * isBackpressureLevel('SOFT'); // false
 * ```
 */
export function isBackpressureLevel(value: unknown): value is BackpressureLevel {
  return value === 'ok' || value === 'soft' || value === 'hard';
}

/**
 * Compares two levels by severity: negative when `a` is milder, 0 when equal, positive when worse.
 *
 * @example
 * ```ts
 * compareLevels('hard', 'soft') > 0; // true
 * ```
 */
export function compareLevels(a: BackpressureLevel, b: BackpressureLevel): number {
  return SEVERITY[a] - SEVERITY[b];
}

/**
 * The worst of the given levels (`'ok'` when none are given).
 *
 * @example
 * ```ts
 * maxLevel('ok', 'hard', 'soft'); // 'hard'
 * ```
 */
export function maxLevel(...levels: readonly BackpressureLevel[]): BackpressureLevel {
  let worst: BackpressureLevel = 'ok';
  for (const level of levels) if (SEVERITY[level] > SEVERITY[worst]) worst = level;
  return worst;
}
