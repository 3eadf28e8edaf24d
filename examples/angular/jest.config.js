// The same TestBed specs run twice: once zoneless (Angular's default since v21) and once with
// zone.js, since an app may use either.
const { createCjsPreset } = require('jest-preset-angular/presets');

// The preset's own environment runs on the jsdom this project pins (26.1).
const preset = createCjsPreset({ testEnvironment: 'jest-preset-angular/environments/jest-jsdom-env' });

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...preset, displayName: 'zoneless', setupFilesAfterEnv: ['<rootDir>/setup-zoneless.ts'] },
    { ...preset, displayName: 'zone.js', setupFilesAfterEnv: ['<rootDir>/setup-zone.ts'] },
  ],
};
