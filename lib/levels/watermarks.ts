import type { BackpressureLevel } from './backpressure-level.js';
import { assertDelayMs } from '../internal/validate.js';

/**
 * Thresholds, as fractions of capacity (utilization `depth / capacity`), at which the level changes.
 * Entering a level uses `soft` / `hard`; leaving it uses the lower `softExit` / `hardExit`, so a
 * depth hovering around a threshold does not make the level flap (hysteresis).
 *
 * @example
 * ```ts
 * const watermarks: Watermarks = { soft: 0.6, hard: 0.9 }; // exits keep their defaults
 * ```
 */
export interface Watermarks {
  /** Utilization at or above which `'ok'` becomes `'soft'`. @default 0.5 */
  readonly soft?: number;
  /** Utilization at or above which any level becomes `'hard'`. @default 0.8 */
  readonly hard?: number;
  /** Utilization below which `'soft'` (or `'hard'`) falls to `'ok'`. @default 0.4 */
  readonly softExit?: number;
  /** Utilization below which `'hard'` falls to `'soft'`. @default 0.7 */
  readonly hardExit?: number;
  /**
   * Minimum dwell time in ms: a level, once entered, is held at least this long before it may fall
   * to a milder one; a worse level is always entered at once. Calms a signal that would otherwise
   * flip every time a fast sink drains the band between two watermarks. `0` turns it off. A number
   * of ms within [0, 2 147 483 647].
   * @default 0
   */
  readonly minDwellMs?: number;
}

/**
 * Watermarks with every field present, as returned by {@link resolveWatermarks}.
 *
 * @example
 * ```ts
 * const resolved: ResolvedWatermarks = resolveWatermarks({ hard: 0.9 });
 * nextLevel('ok', 0.95, resolved); // 'hard'
 * ```
 */
export type ResolvedWatermarks = Required<Watermarks>;

/**
 * The defaults of the Python market-data store's Phase 6.0A backpressure feedback: enter `soft` at
 * 50 %, `hard` at 80 %; leave `hard` below 70 % and `soft` below 40 %; no minimum dwell time.
 *
 * @example
 * ```ts
 * toBackpressureLevel(1_000, { ...DEFAULT_WATERMARKS, hard: 0.9 });
 * ```
 */
export const DEFAULT_WATERMARKS: ResolvedWatermarks = Object.freeze({
  soft: 0.5,
  hard: 0.8,
  softExit: 0.4,
  hardExit: 0.7,
  minDwellMs: 0,
});

const FRACTIONS = ['soft', 'hard', 'softExit', 'hardExit'] as const;

/**
 * Fills in defaults and validates: every fraction finite and within [0, 1], and
 * `0 <= softExit <= soft < hard <= 1` and `softExit <= hardExit <= hard`; `minDwellMs` a number of
 * ms within [0, 2 147 483 647].
 *
 * @throws RangeError naming the first field that breaks a rule, with the rule and the value found.
 * @example
 * ```ts
 * resolveWatermarks({ hard: 0.9 }); // { soft: 0.5, hard: 0.9, softExit: 0.4, hardExit: 0.7, minDwellMs: 0 }
 * resolveWatermarks({ soft: 0.9 }); // RangeError: watermarks.soft must be below watermarks.hard (0.8), found 0.9
 * ```
 */
export function resolveWatermarks(watermarks: Watermarks = {}): ResolvedWatermarks {
  if (typeof watermarks !== 'object' || watermarks === null) {
    throw new TypeError(
      `watermarks must be an object, found ${watermarks === null ? 'null' : typeof watermarks}`,
    );
  }
  const resolved = { ...DEFAULT_WATERMARKS };
  for (const field of FRACTIONS) {
    const value = watermarks[field];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
      throw new RangeError(
        `watermarks.${field} must be a finite number within [0, 1], found ${String(value)}`,
      );
    }
    resolved[field] = value;
  }
  if (watermarks.minDwellMs !== undefined) {
    resolved.minDwellMs = assertDelayMs('watermarks.minDwellMs', watermarks.minDwellMs);
  }
  const { soft, hard, softExit, hardExit } = resolved;
  const fail = (field: string, rule: string, value: number): never => {
    throw new RangeError(`watermarks.${field} must be ${rule}, found ${value}`);
  };
  if (soft >= hard) fail('soft', `below watermarks.hard (${hard})`, soft);
  if (softExit > soft) fail('softExit', `at most watermarks.soft (${soft})`, softExit);
  if (hardExit > hard) fail('hardExit', `at most watermarks.hard (${hard})`, hardExit);
  if (hardExit < softExit) fail('hardExit', `at least watermarks.softExit (${softExit})`, hardExit);
  return Object.freeze(resolved);
}

/**
 * The level after `current` once utilization is `utilization`: the state machine behind
 * `toBackpressureLevel`, exposed for code that tracks levels without an Observable. It knows no
 * time, so it ignores `minDwellMs` (the operators and the coordinator apply the dwell on top).
 *
 * @example
 * ```ts
 * nextLevel('hard', 0.75, DEFAULT_WATERMARKS); // 'hard' (holds until below hardExit 0.7)
 * nextLevel('hard', 0.65, DEFAULT_WATERMARKS); // 'soft'
 * ```
 */
export function nextLevel(
  current: BackpressureLevel,
  utilization: number,
  watermarks: ResolvedWatermarks,
): BackpressureLevel {
  if (utilization >= watermarks.hard) return 'hard';
  if (current === 'hard') {
    if (utilization >= watermarks.hardExit) return 'hard';
    return utilization < watermarks.softExit ? 'ok' : 'soft';
  }
  if (current === 'soft') return utilization < watermarks.softExit ? 'ok' : 'soft';
  return utilization >= watermarks.soft ? 'soft' : 'ok';
}
