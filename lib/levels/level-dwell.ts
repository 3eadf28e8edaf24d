import type { SchedulerLike, Subscription } from 'rxjs';
import { compareLevels, type BackpressureLevel } from './backpressure-level.js';
import { nextLevel, type ResolvedWatermarks } from './watermarks.js';

/**
 * @internal The level state machine of {@link nextLevel} plus the minimum dwell time: a level, once
 * entered, is held at least `minDwellMs` before it may fall to a milder one; a worse level is
 * entered at once (and restarts the dwell). When a fall is held back, a timer on `scheduler`
 * re-evaluates the latest utilization once the dwell is over and reports the change to `onChange`,
 * so that a queue that went quiet still comes back down. With `minDwellMs` 0 no timer is ever set.
 */
export class LevelDwell {
  private current: BackpressureLevel = 'ok';
  private enteredAt: number;
  private utilization = 0;
  private recheck: Subscription | null = null;

  constructor(
    private readonly watermarks: ResolvedWatermarks,
    private readonly scheduler: SchedulerLike,
    private readonly onChange: (previous: BackpressureLevel, level: BackpressureLevel) => void,
  ) {
    this.enteredAt = scheduler.now();
  }

  /** The level now. */
  get level(): BackpressureLevel {
    return this.current;
  }

  /** Takes a new utilization; returns the level it leads to (the caller reports the change). */
  update(utilization: number): BackpressureLevel {
    this.utilization = utilization;
    const candidate = nextLevel(this.current, utilization, this.watermarks);
    if (candidate === this.current) return this.current;
    const now = this.scheduler.now();
    const { minDwellMs } = this.watermarks;
    if (compareLevels(candidate, this.current) < 0 && now - this.enteredAt < minDwellMs) {
      this.armRecheck(this.enteredAt + minDwellMs - now);
      return this.current;
    }
    this.enter(candidate, now);
    return candidate;
  }

  /** Cancels the pending re-evaluation, if any (teardown). */
  dispose(): void {
    this.recheck?.unsubscribe();
    this.recheck = null;
  }

  private enter(level: BackpressureLevel, now: number): void {
    this.current = level;
    this.enteredAt = now;
    this.dispose();
  }

  private armRecheck(delay: number): void {
    if (this.recheck !== null) return; // one is due at the end of this same dwell
    this.recheck = this.scheduler.schedule(() => {
      this.recheck = null;
      const previous = this.current;
      const level = this.update(this.utilization);
      if (level !== previous) this.onChange(previous, level);
    }, delay);
  }
}
