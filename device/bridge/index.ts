export { type LeaseEvent, type LeasePolicy, LeaseTable } from './lease-table.js';
export type { Resource } from './resource.js';
export { BridgeServer, type SlotSpec } from './server.js';
