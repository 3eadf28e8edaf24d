// Public API of `rxjs-backpressure/webhook`: posting feedback events over HTTP, and their
// signatures. Uses global `fetch` and WebCrypto only, so it runs in browsers too.

export {};
