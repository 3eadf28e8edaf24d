import { WorkerPool } from '../../lib/coordinator/worker-pool.js';

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup(size: number, bound: { limit: number } | null = null) {
  const work: number[] = [];
  const done: number[] = [];
  let finished = false;
  let active = 0;
  let peak = 0;
  const gates: (() => void)[] = [];
  const pool = new WorkerPool<number>(
    size,
    {
      take: () => work.shift() ?? null,
      process: async (n) => {
        active++;
        peak = Math.max(peak, active);
        await new Promise<void>((resolve) => gates.push(resolve));
        active--;
        done.push(n);
      },
      finished: () => finished,
    },
    bound,
  );
  return {
    pool,
    work,
    done,
    gates,
    peak: () => peak,
    finish: () => {
      finished = true;
    },
  };
}

describe('WorkerPool', () => {
  it('runs at most `size` pieces of work at once and takes more as each finishes', async () => {
    const { pool, work, done, gates, peak } = setup(2);
    work.push(1, 2, 3);
    pool.start();
    await settle();
    expect(gates).toHaveLength(2);
    gates.shift()!();
    await settle();
    expect(done).toEqual([1]);
    expect(gates).toHaveLength(2);
    gates.splice(0).forEach((open) => open());
    await settle();
    expect(done.sort()).toEqual([1, 2, 3]);
    expect(peak()).toBe(2);
  });

  it('sleeps without polling and consumes again when woken', async () => {
    const { pool, work, gates } = setup(1);
    pool.start();
    await settle();
    expect(pool.idleWorkers).toBe(1);
    work.push(7);
    await settle();
    expect(gates).toHaveLength(0); // not woken: nothing taken
    pool.wakeOne();
    await settle();
    expect(gates).toHaveLength(1);
  });

  it('is started once, and ends workers that find nothing to do once finished', async () => {
    const { pool, finish } = setup(3);
    pool.start();
    pool.start();
    await settle();
    expect(pool.idleWorkers).toBe(3);
    finish();
    pool.wakeAll();
    await settle();
    expect(pool.idleWorkers).toBe(0);
    expect(pool.running).toBe(true);
  });

  describe('with a moving limit', () => {
    it('runs at most the limit at once, of `size` workers', async () => {
      const { pool, work, gates, peak } = setup(4, { limit: 2 });
      work.push(1, 2, 3, 4, 5);
      pool.start();
      await settle();
      expect(gates).toHaveLength(2);
      expect(pool.limit).toBe(2);
      gates.shift()!();
      await settle();
      expect(gates).toHaveLength(2);
      expect(peak()).toBe(2);
    });

    it('lets the workers above a lowered limit finish, then holds them back', async () => {
      const bound = { limit: 3 };
      const { pool, work, gates, done } = setup(3, bound);
      work.push(1, 2, 3, 4, 5, 6);
      pool.start();
      await settle();
      expect(gates).toHaveLength(3);
      bound.limit = 1;
      gates.splice(0).forEach((open) => open());
      await settle();
      expect(done).toHaveLength(3);
      expect(gates).toHaveLength(1);
    });

    it('wakes sleeping workers when the limit is raised', async () => {
      const bound = { limit: 1 };
      const { pool, work, gates } = setup(3, bound);
      work.push(1, 2, 3);
      pool.start();
      await settle();
      expect(gates).toHaveLength(1);
      bound.limit = 3;
      pool.limitChanged();
      await settle();
      expect(gates).toHaveLength(3);
    });
  });
});
