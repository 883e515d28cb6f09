import { createHash } from 'node:crypto';
import type { Sha256 } from '../protocol/index.js';

/** The protocol's SHA-256 port filled with node:crypto (native, ~10x noble's pure JS). */
export const nodeSha256: Sha256 = (data) => new Uint8Array(createHash('sha256').update(data).digest());
