import { IDLE, heldItems } from '../../lib/coordinator/coordinator-core.js';
import { offer } from '../../lib/coordinator/submission.js';
import type { BackpressureLevel } from '../../lib/levels/backpressure-level.js';
import { makeCore } from './core-fixture.js';

describe('wireCoordinator', () => {
  it('builds an idle core whose workers write what the admission queued', async () => {
    const written: number[][] = [];
    const { core, clock } = makeCore<number>({
      batchSize: 2,
      flushIntervalMs: 0,
      sink: (batch) => void written.push([...batch]),
    });
    expect(core.lifecycle).toBe(IDLE);
    for (const n of [1, 2, 3]) await offer(core, n, undefined);
    await clock.advance(0);
    expect(written.flat().sort()).toEqual([1, 2, 3]);
    expect(core.counters).toMatchObject({ submitted: 3, written: 3 });
    expect(heldItems(core)).toBe(0);
  });

  it("connects the level to the breaker: an open breaker holds it at 'hard'", async () => {
    const { core, clock } = makeCore<number>({
      circuitBreaker: { failureThreshold: 1, halfOpenAfterMs: 1_000 },
      retry: { maxAttempts: 2, jitter: false },
      flushIntervalMs: 0,
      sink: () => {
        throw new Error('down');
      },
    });
    const levels: BackpressureLevel[] = [];
    core.signal.level$.subscribe((l) => levels.push(l));
    await offer(core, 1, undefined);
    await clock.advance(0);
    expect(core.breaker!.state).toBe('open');
    expect(levels).toEqual(['ok', 'hard']);
    expect(core.breakerSubscription).not.toBeNull();
  });

  it('reports a dead-letter queue that fails on errors$ and counts it', async () => {
    const { core, clock } = makeCore<number>({
      flushIntervalMs: 0,
      retry: { maxAttempts: 1 },
      sink: () => {
        throw new Error('bad');
      },
      deadLetter: {
        put: () => {
          throw new Error('disk full');
        },
      },
    });
    const kinds: string[] = [];
    core.reports.errors$.subscribe((r) => kinds.push(r.kind));
    await offer(core, 1, undefined);
    await clock.advance(0);
    expect(kinds).toEqual(['write', 'dead-letter']);
    expect(core.counters.deadLetterFailures).toBe(1);
    expect(core.outbox.unsaved).toHaveLength(1);
  });
});
