import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

// Under jest.rxjs-oldest.config.ts, `rxjs` must really be the oldest version of the peer range;
// in the main run, the newest 7.x. Otherwise the two runs would prove nothing.
const root = resolve(__dirname, '..');
const manifest = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe('the rxjs these specs run against', () => {
  it('is the floor of the peer range under the rxjs-oldest run, the newest devDependency otherwise', () => {
    // Resolved through jest's module mapping, as every spec's `rxjs` import is.
    const runningVersion = jest.requireActual<{ version: string }>('rxjs/package.json').version;
    const floor = /^\^(\d+\.\d+\.\d+)$/.exec(manifest.peerDependencies.rxjs!)![1];
    const oldest = manifest.devDependencies['rxjs-oldest'];
    expect(oldest).toBe(`npm:rxjs@${floor}`);
    if (process.env.RXJS_RUN === 'oldest') expect(runningVersion).toBe(floor);
    else expect(runningVersion.startsWith('7.')).toBe(true);
  });
});
