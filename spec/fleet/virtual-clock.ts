import { TestScheduler } from 'rxjs/testing';

/**
 * A TestScheduler driven step by step, for code whose transport answers with promises: between
 * virtual frames the promise callbacks (microtasks) run, which `TestScheduler.run` cannot allow.
 */
export class VirtualClock {
  readonly scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

  now(): number {
    return this.scheduler.now();
  }

  /** Runs every action due up to `now() + ms`, letting promises settle after each frame. */
  async advance(ms: number): Promise<void> {
    const target = this.scheduler.frame + ms;
    await settle();
    for (;;) {
      const next = (this.scheduler.actions as Array<{ delay: number }>)[0];
      if (!next || next.delay > target) break;
      this.scheduler.maxFrames = next.delay;
      this.scheduler.flush();
      await settle();
    }
    this.scheduler.frame = target;
  }
}

/**
 * Lets pending promise callbacks run: the whole microtask queue drains before an immediate, however
 * long the chains (a fixed number of microtask turns would depend on how deep the code awaits).
 */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
