/**
 * @internal Reads a `Retry-After` header (RFC 9110 section 10.2.3): either a number of seconds or an
 * HTTP-date. Returns the wait in milliseconds (never negative), or `undefined` when the header is
 * missing or unreadable, in which case the caller falls back to its own backoff.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only dates with a letter (a weekday or month name): Date.parse would read "1.5" or "-3" as dates.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
