import { MAX_DELAY_MS } from '../internal/validate.js';

/**
 * @internal A token bucket on an injected clock: it refills at `rate` tokens per second up to
 * `burst`, and each released value takes one token. Starts full.
 */
export class TokenBucket {
  private tokens: number;
  private last: number | null = null;

  constructor(
    private rate: number,
    readonly burst: number,
  ) {
    this.tokens = burst;
  }

  get currentRate(): number {
    return this.rate;
  }

  /** Changes the rate at `now`; tokens earned so far are kept at the old rate. */
  setRate(rate: number, now: number): void {
    this.refill(now);
    this.rate = rate;
  }

  /** Tokens available at `now` (fractional). */
  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  /**
   * Whole milliseconds until one token is available at `now` (0 when one is there), or
   * `'pause'` when the rate is 0 and the bucket is empty. Rounded up, so that a timer set for it
   * always finds the token (and marble tests land on whole frames). Never more than
   * {@link MAX_DELAY_MS}: a timer cannot wait longer, so the caller waits that and asks again.
   */
  wait(now: number): number | 'pause' {
    this.refill(now);
    if (this.tokens >= 1) return 0;
    if (this.rate <= 0) return 'pause';
    const ms = Math.ceil(((1 - this.tokens) * 1000) / this.rate - 1e-6);
    return Math.min(MAX_DELAY_MS, Math.max(1, ms)); // a tiny rate makes `ms` huge, even Infinity
  }

  /** Takes one token at `now`; returns whether there was one. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private refill(now: number): void {
    if (this.last !== null && now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    }
    this.last = now;
    // Absorb floating-point dust so that a timer set by `wait` finds its token.
    if (this.tokens > 1 - 1e-9 && this.tokens < 1) this.tokens = 1;
  }
}
