import fc from 'fast-check';
import type { Watermarks } from '../../lib/levels/watermarks.js';

/**
 * Any watermarks `resolveWatermarks` accepts (softExit <= soft < hard, softExit <= hardExit <= hard),
 * built from `fraction`: thousandths by default, where the band edges of small capacities fall.
 */
export function arbitraryWatermarks(
  fraction: fc.Arbitrary<number> = fc.integer({ min: 0, max: 1_000 }).map((n) => n / 1_000),
): fc.Arbitrary<Watermarks> {
  return fc
    .tuple(fraction, fraction, fraction, fraction, fc.boolean())
    .map(([a, b, c, d, swap]) => {
      const [softExit, x, y, hard] = [a, b, c, d].sort((p, q) => p - q) as [number, number, number, number];
      return swap ? { softExit, soft: y, hardExit: x, hard } : { softExit, soft: x, hardExit: y, hard };
    })
    .filter((w) => w.soft < w.hard);
}
