import type { SchedulerLike } from 'rxjs';
import type { BackpressureLevel } from '../levels/backpressure-level.js';

/** Milliseconds spent in each level, as `health().timeInLevelMs` reports them. */
export interface TimeInLevel {
  readonly ok: number;
  readonly soft: number;
  readonly hard: number;
}

/**
 * Adds up the time a coordinator spends in each level, on its scheduler: the figure behind "how much
 * of the time were we in hard". It reads the clock only when the level changes and when asked, so
 * the hot path (a depth change that keeps the level) costs nothing.
 */
export class LevelClock {
  private readonly totals = { ok: 0, soft: 0, hard: 0 };
  private since: number;
  private stoppedAt: number | null = null;

  constructor(
    private readonly scheduler: SchedulerLike,
    private level: BackpressureLevel = 'ok',
  ) {
    this.since = scheduler.now();
  }

  /** The level changed (a call with the same level changes nothing). */
  enter(level: BackpressureLevel): void {
    if (level === this.level || this.stoppedAt !== null) return;
    const now = this.scheduler.now();
    if (now > this.since) this.totals[this.level] += now - this.since;
    this.since = now;
    this.level = level;
  }

  /** Stops counting: a stopped coordinator spends no more time in any level. */
  stop(): void {
    if (this.stoppedAt === null) this.stoppedAt = this.scheduler.now();
  }

  /** The totals, the current level's running time included (up to now, or to `stop`). */
  read(): TimeInLevel {
    const running = (this.stoppedAt ?? this.scheduler.now()) - this.since;
    // A scheduler whose clock goes backwards (a virtual one reset by a test) never makes a total shrink.
    const extra = running > 0 ? running : 0;
    const { ok, soft, hard } = this.totals;
    return {
      ok: this.level === 'ok' ? ok + extra : ok,
      soft: this.level === 'soft' ? soft + extra : soft,
      hard: this.level === 'hard' ? hard + extra : hard,
    };
  }
}
