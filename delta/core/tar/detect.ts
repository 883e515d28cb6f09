import { BLOCK, checksumOk } from './header.js';

/** True when the bytes start with a tar header block (ustar, GNU or v7 with a valid checksum). */
export function detectTar(head: Uint8Array): boolean {
  if (head.length < BLOCK) return false;
  const block = head.subarray(0, BLOCK);
  if (block[0] === 0) return false;
  try {
    return checksumOk(block);
  } catch {
    return false;
  }
}
