import { config } from 'rxjs';

/**
 * @internal Reports an error nobody can catch the way RxJS reports an observer's: asynchronously,
 * to `config.onUnhandledError` when one is set, otherwise as an uncaught exception.
 */
export function reportUnhandledError(error: unknown): void {
  setTimeout(() => {
    const { onUnhandledError } = config;
    if (onUnhandledError) onUnhandledError(error);
    else throw error;
  });
}
