import type { Config } from 'jest';
import base from './jest.config';

// The specs again, with every `rxjs` import (the library's and the specs') resolved to the oldest
// rxjs the peer range allows, installed as the `rxjs-oldest` alias. The main run covers the newest
// 7.x (the `rxjs` devDependency). Doc and end-to-end specs bundle or fork their own processes,
// which this mapping cannot reach; the rest is the package's behaviour, spec by spec.
// Read by spec/rxjs-version.spec.ts, in the workers this run starts.
process.env.RXJS_RUN = 'oldest';

const config: Config = {
  ...base,
  displayName: 'rxjs-oldest',
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/spec/docs/', '<rootDir>/spec/e2e/'],
  moduleNameMapper: {
    ...base.moduleNameMapper,
    '^rxjs$': '<rootDir>/node_modules/rxjs-oldest',
    '^rxjs/(.*)$': '<rootDir>/node_modules/rxjs-oldest/$1',
  },
};

export default config;
