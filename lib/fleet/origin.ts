/** @internal A fresh publisher id: random per call, so that a restarted process never reuses one. */
export function randomOrigin(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  // randomUUID exists in Node and in secure browser contexts; elsewhere Math.random is enough for
  // an id that only needs to differ from the other publishers'.
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID();
  const part = () => Math.random().toString(36).slice(2, 10).padEnd(8, '0');
  return `${part()}-${part()}-${part()}`;
}
