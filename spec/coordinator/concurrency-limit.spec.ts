import { CONCURRENCY_LAW, ConcurrencyLimit } from '../../lib/coordinator/concurrency-limit.js';

/** Feeds one whole round (`limit` attempts of the current epoch) with the same latency. */
function round(law: ConcurrencyLimit, latencyMs: number, saturated = true): boolean {
  const epoch = law.epoch;
  const n = law.limit;
  let changed = false;
  for (let i = 0; i < n; i++) changed = law.record({ epoch, latencyMs, failed: false, saturated }) || changed;
  return changed;
}

/** A law past its first round, with a smoothed minimum of `minimumMs`. */
function measured(bounds: { min: number; max: number; initial: number }, minimumMs = 10): ConcurrencyLimit {
  const law = new ConcurrencyLimit(bounds);
  round(law, minimumMs);
  return law;
}

describe('ConcurrencyLimit', () => {
  it('runs its first round at min to measure the unloaded latency, then starts at initial', () => {
    const law = new ConcurrencyLimit({ min: 2, max: 32, initial: 8 });
    expect(law.limit).toBe(2);
    expect(law.minimumLatencyMs).toBeNull();
    expect(round(law, 10)).toBe(true);
    expect(law.minimumLatencyMs).toBe(10);
    expect(law.limit).toBe(8);
  });

  describe('while latency holds', () => {
    it('adds one a round while the limit is reached, up to max', () => {
      const law = measured({ min: 1, max: 5, initial: 1 });
      const limits = [];
      for (let i = 0; i < 6; i++) {
        round(law, 11);
        limits.push(law.limit);
      }
      expect(limits).toEqual([2, 3, 4, 5, 5, 5]);
    });

    it('holds when the limit is not reached: no evidence that more writes would help', () => {
      const law = measured({ min: 1, max: 8, initial: 3 });
      expect(round(law, 10, false)).toBe(false);
      expect(law.limit).toBe(3);
    });

    it('decides only after a whole round of attempts', () => {
      const law = measured({ min: 1, max: 8, initial: 3 });
      const epoch = law.epoch;
      law.record({ epoch, latencyMs: 10, failed: false, saturated: true });
      law.record({ epoch, latencyMs: 10, failed: false, saturated: true });
      expect(law.limit).toBe(3);
      law.record({ epoch, latencyMs: 10, failed: false, saturated: true });
      expect(law.limit).toBe(4);
    });

    it('follows a lower latency into its smoothed minimum', () => {
      const law = measured({ min: 1, max: 8, initial: 2 }, 10);
      round(law, 5);
      expect(law.minimumLatencyMs).toBeCloseTo(10 + CONCURRENCY_LAW.minimumSmoothing * (5 - 10));
    });
  });

  describe('when latency climbs', () => {
    it('multiplies the limit down once a round is past the tolerance', () => {
      const law = measured({ min: 1, max: 64, initial: 20 }, 10);
      // Just past the tolerance: the gradient is above decreaseRatio, so decreaseRatio applies.
      expect(round(law, 10 * CONCURRENCY_LAW.latencyTolerance + 0.1)).toBe(true);
      expect(law.limit).toBe(Math.floor(20 * CONCURRENCY_LAW.decreaseRatio));
    });

    it('cuts harder the further past the tolerance, but at most by largestCut a round', () => {
      const law = measured({ min: 1, max: 64, initial: 20 }, 10);
      round(law, 10 * CONCURRENCY_LAW.latencyTolerance * 1.25); // gradient 0.8
      expect(law.limit).toBe(16);
      round(law, 1_000); // gradient 0.015, clamped
      expect(law.limit).toBe(16 * CONCURRENCY_LAW.largestCut);
    });

    it('does not move for latency within the tolerance', () => {
      const law = measured({ min: 1, max: 64, initial: 6 }, 10);
      round(law, 14.9, false);
      expect(law.limit).toBe(6);
      expect(law.minimumLatencyMs).toBe(10);
    });

    it('cuts by at least one, and never below min', () => {
      const law = measured({ min: 3, max: 8, initial: 4 }, 10);
      round(law, 14.9 * 1.05); // gradient ~0.96: floor(4 * 0.9) = 3 anyway
      expect(law.limit).toBe(3);
      expect(round(law, 100)).toBe(false);
      expect(law.limit).toBe(3);
    });

    it('at min, lets the minimum follow the latency measured there (a sink that got slower)', () => {
      const law = measured({ min: 1, max: 8, initial: 1 }, 10);
      const minimums: number[] = [];
      while (law.limit === 1 && minimums.length < 10) {
        round(law, 40);
        minimums.push(law.minimumLatencyMs!);
      }
      expect(minimums[0]).toBeCloseTo(10 + CONCURRENCY_LAW.minimumSmoothing * 30);
      expect(minimums.every((m, i) => i === 0 || m > minimums[i - 1]!)).toBe(true);
      // Once the minimum has caught up, 40 ms holds and the limit grows again.
      expect(law.limit).toBe(2);
      expect(minimums.length).toBeLessThanOrEqual(3);
    });
  });

  describe('on failure', () => {
    it('multiplies the limit down at once, on the first failed attempt', () => {
      const law = measured({ min: 1, max: 64, initial: 30 });
      const epoch = law.epoch;
      expect(law.record({ epoch, latencyMs: 3, failed: true, saturated: true })).toBe(true);
      expect(law.limit).toBe(27);
    });

    it('ignores attempts that started under an earlier limit', () => {
      const law = measured({ min: 1, max: 64, initial: 30 });
      const before = law.epoch;
      law.record({ epoch: before, latencyMs: 3, failed: true, saturated: true });
      expect(law.record({ epoch: before, latencyMs: 3, failed: true, saturated: true })).toBe(false);
      expect(law.limit).toBe(27);
    });

    it('never goes below min', () => {
      const law = measured({ min: 2, max: 4, initial: 2 });
      expect(law.record({ epoch: law.epoch, latencyMs: 3, failed: true, saturated: true })).toBe(false);
      expect(law.limit).toBe(2);
    });
  });

  describe('probing a level that was cut', () => {
    /** Rounds at `limit` until it rises, with latency that holds; returns how many it took. */
    function roundsUntilRise(law: ConcurrencyLimit): number {
      const from = law.limit;
      let n = 0;
      while (law.limit === from) {
        round(law, 10);
        n++;
        if (n > 10_000) throw new Error('the limit never rose');
      }
      return n;
    }

    it('waits longer each time the same level is cut again, up to longestProbeWait', () => {
      const law = measured({ min: 1, max: 8, initial: 5 }, 10);
      const waits = [];
      for (let i = 0; i < 10; i++) {
        round(law, 16); // 5 is too many: cut to 4
        expect(law.limit).toBe(4);
        waits.push(roundsUntilRise(law));
        expect(law.limit).toBe(5);
      }
      const { firstProbeWait, longestProbeWait } = CONCURRENCY_LAW;
      expect(waits).toEqual(waits.map((_, i) => Math.min(firstProbeWait * 2 ** i, longestProbeWait)));
    });

    it('halves the wait each time the level holds', () => {
      const law = measured({ min: 1, max: 8, initial: 5 }, 10);
      round(law, 16);
      roundsUntilRise(law); // waited firstProbeWait (2)
      round(law, 16);
      expect(roundsUntilRise(law)).toBe(4);
      round(law, 10); // 5 holds once: its wait halves to 2, and the limit goes on to 6
      expect(law.limit).toBe(6);
      round(law, 16); // 6 is too many: back to 5
      expect(law.limit).toBe(5);
      round(law, 16); // and 5 is too many again: its wait doubles from 2, not from 4
      expect(law.limit).toBe(4);
      expect(roundsUntilRise(law)).toBe(4);
    });

    it('keeps the wait of a level when a lower one is cut (a passing spike)', () => {
      const law = measured({ min: 1, max: 8, initial: 5 }, 10);
      for (let i = 0; i < 3; i++) {
        round(law, 16);
        roundsUntilRise(law);
      }
      round(law, 16); // the fourth cut from 5: it waits 16 rounds now
      expect(law.limit).toBe(4);
      round(law, 16); // a spike at 4
      expect(law.limit).toBe(3);
      expect(roundsUntilRise(law)).toBe(CONCURRENCY_LAW.firstProbeWait);
      expect(roundsUntilRise(law)).toBe(16);
      expect(law.limit).toBe(5);
    });
  });
});
