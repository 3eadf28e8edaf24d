import { join, resolve } from 'node:path';
import type { Plugin } from 'esbuild';

const root = resolve(__dirname, '../..');
/** Each entry point of the package, as a user imports it, and its source file under lib/. */
export const ENTRIES: Readonly<Record<string, string>> = {
  'rxjs-backpressure': 'lib/index.ts',
  'rxjs-backpressure/testing': 'lib/testing/index.ts',
  'rxjs-backpressure/webhook': 'lib/webhook/index.ts',
  'rxjs-backpressure/node': 'lib/node/index.ts',
  'rxjs-backpressure/redis': 'lib/redis/index.ts',
  'rxjs-backpressure/nats': 'lib/nats/index.ts',
  'rxjs-backpressure/prometheus': 'lib/prometheus/index.ts',
  'rxjs-backpressure/otel': 'lib/otel/index.ts',
};

/**
 * An esbuild plugin that maps the package's entry points to this tree's sources, so that a doc
 * snippet importing 'rxjs-backpressure/...' runs against the code under test.
 */
export const packageSources: Plugin = {
  name: 'package-sources',
  setup(builder) {
    builder.onResolve({ filter: /^rxjs-backpressure(\/.*)?$/ }, (args) => {
      const file = ENTRIES[args.path];
      return file ? { path: join(root, file) } : { errors: [{ text: `unknown entry ${args.path}` }] };
    });
  },
};

/**
 * An esbuild plugin that maps the package's entry points to the ESM build in dist/ (run
 * `npm run build` first), so that a bundle runs the code users get.
 */
export const packageBuild: Plugin = {
  name: 'package-build',
  setup(builder) {
    builder.onResolve({ filter: /^rxjs-backpressure(\/.*)?$/ }, (args) => {
      const file = ENTRIES[args.path];
      return file
        ? { path: join(root, file.replace(/^lib\//, 'dist/esm/').replace(/\.ts$/, '.js')) }
        : { errors: [{ text: `unknown entry ${args.path}` }] };
    });
  },
};
