/** This package's version, for instrumentation scopes (a spec keeps it equal to package.json's). */
export const PACKAGE_VERSION = '0.1.0';
