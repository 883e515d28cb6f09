export * as bridgeClient from './bridge-client/index.js';
export * as chaos from './chaos/index.js';
export * as docker from './docker/index.js';
export * as functions from './functions/index.js';
export * as policy from './policy/index.js';
export * as protocol from './protocol/index.js';
export * as transport from './transport/index.js';
