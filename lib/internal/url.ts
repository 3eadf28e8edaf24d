import { describeValue } from './describe-value.js';

/**
 * @internal Parses an endpoint option into a URL, resolving a relative one against the page's
 * location in browsers. Throws a TypeError naming `name` unless it is an http(s) URL.
 */
export function resolveHttpUrl(name: string, value: unknown): URL {
  if (typeof value !== 'string' && !(value instanceof URL)) {
    throw new TypeError(`${name} must be a string or URL, found ${describeValue(value)}`);
  }
  let url: URL;
  try {
    const base = (globalThis as { location?: { href?: string } }).location?.href;
    url = new URL(String(value), base);
  } catch {
    throw new TypeError(`${name} must be an absolute http(s) URL, found ${describeValue(String(value))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`${name} must be an http: or https: URL, found protocol ${url.protocol}`);
  }
  return url;
}

/** @internal The URL without credentials, query or fragment, for messages and logs. */
export function redactUrl(url: URL): string {
  return url.origin + url.pathname;
}
