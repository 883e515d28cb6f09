import { ImageError } from './errors.js';

// A small codec for the *outer* tar of an image (docker save, OCI layout tars): just enough
// ustar/pax/GNU to list files and to write them back. Layer tars themselves go through the
// layer engine, which re-emits their headers byte for byte.

export const BLOCK = 512;

export type TarEntryType =
  | 'file'
  | 'dir'
  | 'symlink'
  | 'link'
  | 'pax'
  | 'pax-global'
  | 'gnu-longname'
  | 'gnu-longlink'
  | 'other';

export interface RawTarHeader {
  name: string;
  mode: number;
  mtime: number;
  size: number;
  type: TarEntryType;
  linkname: string;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function str(block: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && block[end] !== 0) end++;
  return decoder.decode(block.subarray(off, end));
}

function num(block: Uint8Array, off: number, len: number): number {
  // GNU base-256: high bit of the first byte set (sizes over 8 GiB).
  if (block[off] & 0x80) {
    let v = block[off] & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + block[off + i];
    return v;
  }
  const s = str(block, off, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new ImageError('IMAGE_FORMAT', `tar header has a bad number field '${s}'`);
  return Number.parseInt(s, 8);
}

const TYPES: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '5': 'dir',
  '2': 'symlink',
  '1': 'link',
  x: 'pax',
  g: 'pax-global',
  L: 'gnu-longname',
  K: 'gnu-longlink',
};

/** Parses one 512-byte header; null for an all-zero block (end of archive). */
export function parseTarHeader(block: Uint8Array): RawTarHeader | null {
  if (block.length < BLOCK) throw new ImageError('IMAGE_FORMAT', 'tar archive is truncated inside a header');
  if (block.every((b) => b === 0)) return null;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i];
  if (sum !== num(block, 148, 8))
    throw new ImageError(
      'IMAGE_FORMAT',
      'tar header checksum mismatch: the file is not a tar archive or is corrupt',
    );
  const prefix = str(block, 257, 6) === 'ustar' ? str(block, 345, 155) : '';
  const name = str(block, 0, 100);
  return {
    name: prefix ? `${prefix}/${name}` : name,
    mode: num(block, 100, 8),
    size: num(block, 124, 12),
    mtime: num(block, 136, 12),
    type: TYPES[String.fromCharCode(block[156])] ?? 'other',
    linkname: str(block, 157, 100),
  };
}

/** Records of a pax extended header ("%d key=value\n"...). */
export function parsePax(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < bytes.length) {
    let sp = i;
    while (sp < bytes.length && bytes[sp] !== 0x20) sp++;
    const len = Number.parseInt(decoder.decode(bytes.subarray(i, sp)), 10);
    if (!Number.isFinite(len) || len <= 0 || i + len > bytes.length)
      throw new ImageError('IMAGE_FORMAT', 'tar pax header is malformed');
    const rec = decoder.decode(bytes.subarray(sp + 1, i + len - 1));
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

export const paddedSize = (size: number): number => Math.ceil(size / BLOCK) * BLOCK;

export interface TarHeaderInput {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  size: number;
  mode: number;
  mtime: number;
  linkname?: string;
}

function writeStr(block: Uint8Array, off: number, len: number, s: string): void {
  const b = encoder.encode(s);
  if (b.length > len) throw new RangeError(`tar field too long: ${s}`);
  block.set(b, off);
}

function writeOctal(block: Uint8Array, off: number, len: number, v: number): void {
  writeStr(block, off, len, `${v.toString(8).padStart(len - 1, '0')}\0`);
}

function header(
  name: string,
  prefix: string,
  type: string,
  size: number,
  mode: number,
  mtime: number,
  linkname: string,
): Uint8Array {
  const b = new Uint8Array(BLOCK);
  writeStr(b, 0, 100, name);
  writeOctal(b, 100, 8, mode & 0o7777);
  writeOctal(b, 108, 8, 0);
  writeOctal(b, 116, 8, 0);
  writeOctal(b, 124, 12, size);
  writeOctal(b, 136, 12, Math.max(0, Math.floor(mtime)));
  b.fill(0x20, 148, 156);
  b[156] = type.charCodeAt(0);
  writeStr(b, 157, 100, linkname);
  writeStr(b, 257, 6, 'ustar\0');
  writeStr(b, 263, 2, '00');
  writeStr(b, 345, 155, prefix);
  let sum = 0;
  for (const x of b) sum += x;
  writeStr(b, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return b;
}

function paxRecord(key: string, value: string): string {
  const body = encoder.encode(` ${key}=${value}\n`).length;
  let len = body + 1;
  while (String(len).length + body !== len) len = String(len).length + body;
  return `${len} ${key}=${value}\n`;
}

/**
 * The header blocks for one entry (ustar, with a pax header only when a path does not fit),
 * uid/gid 0 like `docker save`. Content and padding are the caller's.
 */
export function encodeTarHeader(e: TarHeaderInput): Uint8Array {
  const typeFlag = e.type === 'dir' ? '5' : e.type === 'symlink' ? '2' : '0';
  const path = e.type === 'dir' && !e.path.endsWith('/') ? `${e.path}/` : e.path;
  const linkname = e.linkname ?? '';
  const size = e.type === 'file' ? e.size : 0;
  const fits = encoder.encode(path).length <= 100 && encoder.encode(linkname).length <= 100 && size < 8 ** 11;
  if (fits) return header(path, '', typeFlag, size, e.mode, e.mtime, linkname);
  let records = paxRecord('path', path);
  if (encoder.encode(linkname).length > 100) records += paxRecord('linkpath', linkname);
  if (size >= 8 ** 11) records += paxRecord('size', String(size));
  const pax = encoder.encode(records);
  const out = new Uint8Array(BLOCK + paddedSize(pax.length) + BLOCK);
  out.set(header('././@PaxHeader', '', 'x', pax.length, 0o644, e.mtime, ''), 0);
  out.set(pax, BLOCK);
  out.set(
    header(path.slice(-99), '', typeFlag, size < 8 ** 11 ? size : 0, e.mode, e.mtime, linkname.slice(0, 100)),
    BLOCK + paddedSize(pax.length),
  );
  return out;
}
