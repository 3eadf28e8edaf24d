const PLAIN = /^[A-Za-z0-9_-]$/;

/**
 * @internal A coordinator id as a JetStream KV key. KV keys allow only `[-/_=.A-Za-z0-9]` (and no
 * leading, trailing or doubled `.`), while ids are any string: every other character, and `=`,
 * `.` and `/` themselves, becomes `=` and two hex digits per UTF-8 byte. Distinct ids stay
 * distinct; `orders-eu_1` stays as it is.
 */
export function toKvKey(coordinatorId: string): string {
  let key = '';
  for (const char of coordinatorId) {
    if (PLAIN.test(char)) {
      key += char;
      continue;
    }
    for (const byte of new TextEncoder().encode(char)) key += `=${byte.toString(16).padStart(2, '0')}`;
  }
  return key;
}
