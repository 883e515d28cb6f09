import { createReadStream } from 'node:fs';
import { type FileHandle, lstat, open, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  BLOCK,
  ImageError,
  type ImageFileInfo,
  type ImageFileSet,
  normalizePath,
  paddedSize,
  parsePax,
  parseTarHeader,
} from '../../core/image/index.js';

/** Meta files (manifests, configs) are read into memory; nothing that big is a manifest. */
const MAX_META_FILE = 64 * 1024 * 1024;

/** An image on disk (a docker-save or OCI tar, or an OCI folder) opened for reading. */
export interface OpenedImage extends ImageFileSet {
  readonly path: string;
  readonly container: 'tar' | 'dir';
  /** The bytes of one file, streamed (layers). */
  stream(path: string): Readable;
  close(): Promise<void>;
}

interface TarSpan {
  offset: number;
  size: number;
}

async function readAt(fh: FileHandle, offset: number, length: number): Promise<Uint8Array> {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === length ? buf : buf.subarray(0, got);
}

/**
 * Lists a tar by reading its headers only (positioned reads), so a multi-GB image is indexed
 * in milliseconds. Returns the entries and where each file's bytes are.
 */
export async function scanTar(
  fh: FileHandle,
  label: string,
): Promise<{ entries: ImageFileInfo[]; spans: Map<string, TarSpan>; end: number }> {
  const size = (await fh.stat()).size;
  const entries: ImageFileInfo[] = [];
  const spans = new Map<string, TarSpan>();
  let off = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Record<string, string> = {};
  while (off + BLOCK <= size) {
    const block = await readAt(fh, off, BLOCK);
    const h = parseTarHeader(block);
    if (!h) return { entries, spans, end: off };
    const dataAt = off + BLOCK;
    const entrySize = pax.size ? Number(pax.size) : h.size;
    if (dataAt + entrySize > size)
      throw new ImageError('IMAGE_FORMAT', `${label}: tar is truncated in ${h.name}`);
    off = dataAt + paddedSize(entrySize);
    if (h.type === 'pax' || h.type === 'gnu-longname' || h.type === 'gnu-longlink') {
      if (entrySize > 1 << 20)
        throw new ImageError('IMAGE_FORMAT', `${label}: tar extended header is too big`);
      const data = await readAt(fh, dataAt, entrySize);
      if (h.type === 'pax') pax = parsePax(data);
      else {
        const s = Buffer.from(data).toString('utf8').replace(/\0+$/, '');
        if (h.type === 'gnu-longname') longName = s;
        else longLink = s;
      }
      continue;
    }
    if (h.type === 'pax-global') continue;
    const path = normalizePath(pax.path ?? longName ?? h.name);
    const linkname = pax.linkpath ?? longLink ?? h.linkname;
    pax = {};
    longName = undefined;
    longLink = undefined;
    if (path === '' || path === '.') continue;
    const type = h.type === 'dir' ? 'dir' : h.type === 'symlink' || h.type === 'link' ? 'symlink' : 'file';
    // A hard link inside an image tar points at a path relative to the archive root.
    const info: ImageFileInfo = {
      path,
      type,
      size: type === 'file' ? entrySize : 0,
      mode: h.mode,
      mtime: h.mtime,
    };
    if (type === 'symlink') info.linkname = h.type === 'link' ? `/${normalizePath(linkname)}` : linkname;
    entries.push(info);
    if (type === 'file') spans.set(path, { offset: dataAt, size: entrySize });
  }
  return { entries, spans, end: off };
}

async function openTar(path: string): Promise<OpenedImage> {
  const fh = await open(path, 'r');
  try {
    const { entries, spans } = await scanTar(fh, path);
    const span = (p: string): TarSpan => {
      const s = spans.get(p);
      if (!s) throw new ImageError('IMAGE_MISSING_FILE', `${path} has no file ${p}`);
      return s;
    };
    return {
      path,
      container: 'tar',
      entries,
      async read(p) {
        const s = span(p);
        if (s.size > MAX_META_FILE)
          throw new ImageError('IMAGE_FORMAT', `${path}: ${p} is too big for a manifest`);
        return readAt(fh, s.offset, s.size);
      },
      head: async (p, n) => readAt(fh, span(p).offset, Math.min(n, span(p).size)),
      stream(p) {
        const s = span(p);
        if (s.size === 0) return createReadStream(path, { start: 1, end: 0 });
        return createReadStream(path, { start: s.offset, end: s.offset + s.size - 1 });
      },
      close: () => fh.close(),
    };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

async function walk(root: string, rel: string, out: ImageFileInfo[]): Promise<void> {
  const names = (await readdir(join(root, rel))).sort();
  for (const name of names) {
    const p = rel ? `${rel}/${name}` : name;
    const st = await lstat(join(root, p));
    const base = { path: p, mode: st.mode & 0o7777, mtime: Math.floor(st.mtimeMs / 1000) };
    if (st.isDirectory()) {
      out.push({ ...base, type: 'dir', size: 0 });
      await walk(root, p, out);
    } else if (st.isSymbolicLink())
      out.push({ ...base, type: 'symlink', size: 0, linkname: await readlink(join(root, p)) });
    else if (st.isFile()) out.push({ ...base, type: 'file', size: st.size });
  }
}

async function openDir(path: string): Promise<OpenedImage> {
  const entries: ImageFileInfo[] = [];
  await walk(path, '', entries);
  const file = (p: string) => {
    const e = entries.find((x) => x.path === p && x.type === 'file');
    if (!e) throw new ImageError('IMAGE_MISSING_FILE', `${path} has no file ${p}`);
    return join(path, p);
  };
  return {
    path,
    container: 'dir',
    entries,
    read: async (p) => readFile(file(p)),
    async head(p, n) {
      const fh = await open(file(p), 'r');
      try {
        return await readAt(fh, 0, n);
      } finally {
        await fh.close();
      }
    },
    stream: (p) => createReadStream(file(p)),
    close: async () => {},
  };
}

/** Opens an image: a folder is an OCI layout; a file is a docker-save or OCI tar. */
export async function openImageFiles(path: string): Promise<OpenedImage> {
  let st: Awaited<ReturnType<typeof lstat>>;
  try {
    st = await lstat(path);
  } catch {
    throw new ImageError('IMAGE_MISSING_FILE', `${path} does not exist`);
  }
  return st.isDirectory() ? openDir(path) : openTar(path);
}
