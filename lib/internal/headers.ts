import { describeValue } from './describe-value.js';
import { messageOf } from './message-of.js';

/**
 * @internal Validates a `headers` option: an object whose values are strings and whose names and
 * values `Headers` accepts. Returns a copy, so that later changes by the caller have no effect.
 * Throws a TypeError naming `name` otherwise.
 */
export function assertHeaders(name: string, value: unknown): Readonly<Record<string, string>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object of strings, found ${describeValue(value)}`);
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      throw new TypeError(`${name}["${key}"] must be a string, found ${describeValue(item)}`);
    }
  }
  const headers = { ...(value as Record<string, string>) };
  try {
    new Headers(headers);
  } catch (error) {
    throw new TypeError(`${name} must hold valid HTTP header names and values: ${messageOf(error)}`, {
      cause: error,
    });
  }
  return headers;
}
