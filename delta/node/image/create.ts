import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  type BaseStrategy,
  type BlobRecipe,
  encodeImagePatchHeader,
  type ImageModel,
  type ImagePatchHeader,
  type LayerListing,
  type LayerPlan,
  type LayerSource,
  type PatchEntry,
  parseImage,
  planImagePatch,
  sha256Digest,
} from '../../core/image/index.js';
import { findZlibRecipe } from './gzip-recipe.js';
import { type OpenedImage, openImageFiles } from './image-files.js';
import type { LayerDeltaEngine } from './layer-engine.js';
import {
  concatLayers,
  listLayer,
  type MaterializedLayer,
  materializeLayer,
  sha256File,
  withTempDir,
} from './layers.js';
import { SectionWriter, writePatchFile, zstd19 } from './sections.js';

export interface CreateImagePatchOptions {
  engine: LayerDeltaEngine;
  /** Emit a full-image payload when the delta is larger than maxRatio × the full payload. */
  maxRatio?: number;
  /** Always emit the full-image payload (for a device whose image is not OLD); OLD is not read. */
  full?: boolean;
  strategy?: BaseStrategy;
  /** Progress lines (one per layer), e.g. for a CLI's stderr. */
  log?: (line: string) => void;
}

export interface LayerReport {
  layer: number;
  diffId: string;
  how: LayerPlan['how'];
  base?: number[];
  bytes: number;
  tarSize: number;
  blob: 'tar' | 'gzip-rebuilt' | 'gzip-uncompressed';
}

export interface CreateImageSummary {
  mode: 'delta' | 'full';
  patchBytes: number;
  /** Bytes of the full-image payload, when it was computed (--max-ratio). */
  fullBytes?: number;
  metaBytes: number;
  layers: LayerReport[];
  source: string;
  target: string;
}

interface Prepared {
  model: ImageModel;
  files: OpenedImage;
}

async function prepare(path: string): Promise<Prepared> {
  const files = await openImageFiles(path);
  try {
    return { model: await parseImage(files), files };
  } catch (e) {
    await files.close();
    throw e;
  }
}

/** Everything the patch needs from the new image except its layers' payloads. */
async function metaSection(target: Prepared, layerPaths: Set<string>, sections: SectionWriter) {
  const parts: Uint8Array[] = [];
  const offsets = new Map<string, { off: number; size: number; sha256: string }>();
  let off = 0;
  for (const e of target.files.entries) {
    if (e.type !== 'file' || layerPaths.has(e.path)) continue;
    const bytes = await target.files.read(e.path);
    offsets.set(e.path, { off, size: bytes.length, sha256: sha256Digest(bytes) });
    parts.push(bytes);
    off += bytes.length;
  }
  const all = Buffer.concat(parts);
  const section = await sections.addBytes(all);
  return { offsets, section, size: all.length };
}

async function blobRecipe(layer: ImageModel['layers'][number], m: MaterializedLayer): Promise<BlobRecipe> {
  if (layer.compression === 'none') return { c: 'none' };
  const blob = m.blob ? await sha256File(m.blob) : undefined;
  const digest = blob?.digest ?? layer.blobDigest ?? '';
  const size = blob?.size ?? layer.blobSize;
  const zlib = layer.compression === 'gzip' && m.blob ? await findZlibRecipe(m.blob, m.tar) : undefined;
  return zlib ? { c: 'gzip', digest, size, zlib } : { c: 'gzip', digest, size };
}

/**
 * Builds an image patch that turns OLD into NEW (docker-save tars or OCI layouts). Layers
 * OLD already has are referenced, others diffed against the most similar old layer (or all
 * old layers) through `engine`; meta files travel in one zstd section. Written to a
 * temporary file and renamed to `out` only when complete.
 */
export async function createImagePatch(
  oldPath: string,
  newPath: string,
  out: string,
  opts: CreateImagePatchOptions,
): Promise<CreateImageSummary> {
  const log = opts.log ?? (() => {});
  const old = await prepare(oldPath);
  let target: Prepared | undefined;
  try {
    target = await prepare(newPath);
    const t = target;
    return await withTempDir(async (dir) => {
      const tmpOut = join(dirname(out), `.aloft-tmp-${process.pid}-${Date.now().toString(36)}.patch`);
      try {
        const fullPayload = () => build(undefined, t, join(dir, 'full'), 'full', opts, log);
        let chosen: Awaited<ReturnType<typeof build>>;
        let fullBytes: number | undefined;
        if (opts.full) {
          chosen = await fullPayload();
          fullBytes = chosen.bytes;
        } else {
          const delta = await build(old, t, dir, 'delta', opts, log);
          chosen = delta;
          if (opts.maxRatio !== undefined) {
            const full = await fullPayload();
            fullBytes = full.bytes;
            if (delta.bytes > opts.maxRatio * full.bytes) {
              log(
                `delta ${delta.bytes} B > ${opts.maxRatio} × full ${full.bytes} B: writing the full image instead`,
              );
              chosen = full;
            }
          }
        }
        const patchBytes = await writePatchFile(tmpOut, chosen.headerBytes, chosen.files);
        await rename(tmpOut, out);
        return {
          mode: chosen.header.mode,
          patchBytes,
          fullBytes,
          metaBytes: chosen.metaBytes,
          layers: chosen.layers,
          source: old.model.imageId,
          target: t.model.imageId,
        };
      } catch (e) {
        await rm(tmpOut, { force: true });
        throw e;
      }
    });
  } finally {
    await old.files.close();
    await target?.files.close();
  }
}

async function build(
  old: Prepared | undefined,
  target: Prepared,
  dir: string,
  mode: 'delta' | 'full',
  opts: CreateImagePatchOptions,
  log: (line: string) => void,
) {
  await mkdir(dir, { recursive: true });
  const sections = new SectionWriter(dir);
  const tm = target.model;
  const layerPaths = new Set(tm.layers.map((l) => l.path));
  const meta = await metaSection(target, layerPaths, sections);

  const newTars = new Map<number, MaterializedLayer>();
  const oldTars = new Map<number, MaterializedLayer>();
  const oldLayer = async (j: number) => {
    let m = oldTars.get(j);
    if (!m && old) {
      m = await materializeLayer(old.files, old.model.layers[j], dir, `old-${j}`);
      oldTars.set(j, m);
    }
    return m as MaterializedLayer;
  };
  const om = old?.model;
  const oldDiffIds = new Set(om?.layers.map((l) => l.diffId));
  // Gather every fact first: the new layers that need bytes, and listings for the planner.
  for (const l of tm.layers) {
    if (mode === 'delta' && oldDiffIds.has(l.diffId) && l.compression === 'none') continue;
    newTars.set(
      l.index,
      await materializeLayer(target.files, l, dir, `new-${l.index}`, l.compression !== 'none'),
    );
  }
  let listings: { old: LayerListing[]; target: LayerListing[] } | undefined;
  if (om && mode === 'delta' && (opts.strategy ?? 'layer') === 'layer') {
    const oldL: LayerListing[] = [];
    for (const l of om.layers) oldL.push(await listLayer((await oldLayer(l.index)).tar, l.diffId));
    const newL: LayerListing[] = [];
    for (const l of tm.layers) {
      const m = newTars.get(l.index);
      newL.push(m ? await listLayer(m.tar, l.diffId) : { diffId: l.diffId, files: [] });
    }
    listings = { old: oldL, target: newL };
  }
  const plan = planImagePatch(mode === 'delta' && om ? om : { layers: [] }, tm, listings, opts.strategy);

  const sources = new Map<number, LayerSource>();
  const recipes = new Map<number, BlobRecipe>();
  const reports: LayerReport[] = [];
  for (const p of plan) {
    const layer = tm.layers[p.layer];
    const mat = newTars.get(p.layer);
    let src: LayerSource;
    if (p.how === 'ref') src = { how: 'ref', old: p.old };
    else if (p.how === 'full' || !mat)
      src = { how: 'full', section: await sections.addCompressedFile((mat as MaterializedLayer).tar) };
    else {
      const bases = await Promise.all(p.base.map(oldLayer));
      let baseTar = bases[0].tar;
      if (bases.length > 1) {
        baseTar = join(dir, `base-${p.layer}.tar`);
        await concatLayers(
          bases.map((b) => b.tar),
          baseTar,
        );
      }
      const patchFile = join(dir, `layer-${p.layer}.patch`);
      await opts.engine.create(baseTar, mat.tar, patchFile);
      if (bases.length > 1) await rm(baseTar, { force: true });
      src = { how: 'delta', base: p.base, section: await sections.addFile(patchFile) };
      // A delta larger than the layer compressed on its own is worth nothing: send it whole.
      const patchSize = (await stat(patchFile)).size;
      if (patchSize > 0.5 * mat.size) {
        const full = await sections.addCompressedFile(mat.tar);
        if (sections.size(full) < patchSize) src = { how: 'full', section: full };
      }
    }
    sources.set(p.layer, src);
    const recipe = mat ? await blobRecipe(layer, mat) : { c: 'none' as const };
    recipes.set(p.layer, recipe);
    const tarSize = mat?.size ?? (await oldLayer((p as { old: number }).old)).size;
    const report: LayerReport = {
      layer: p.layer,
      diffId: layer.diffId,
      how: src.how,
      base: src.how === 'delta' ? src.base : undefined,
      bytes: src.how === 'ref' ? 0 : sections.size(src.section),
      tarSize,
      blob: recipe.c === 'none' ? 'tar' : recipe.zlib ? 'gzip-rebuilt' : 'gzip-uncompressed',
    };
    reports.push(report);
    log(
      `${mode} layer ${p.layer} ${layer.diffId.slice(7, 19)}: ${src.how}${report.base ? ` from old ${report.base.join('+')}` : ''}, ${report.bytes} B of ${tarSize} B`,
    );
  }

  const byPath = new Map<string, number>();
  for (const l of tm.layers) if (!byPath.has(l.path)) byPath.set(l.path, l.index);
  const entries: PatchEntry[] = target.files.entries.map((e): PatchEntry => {
    const base = { path: e.path, mode: e.mode, mtime: e.mtime };
    if (e.type === 'dir') return { t: 'dir', ...base };
    if (e.type === 'symlink') return { t: 'symlink', ...base, link: e.linkname ?? '' };
    const li = byPath.get(e.path);
    if (li !== undefined) {
      const r = reports[li];
      return {
        t: 'layer',
        ...base,
        layer: li,
        tarSize: r.tarSize,
        blob: recipes.get(li) as BlobRecipe,
        src: sources.get(li) as LayerSource,
      };
    }
    const m = meta.offsets.get(e.path) as { off: number; size: number; sha256: string };
    return { t: 'meta', ...base, ...m };
  });
  const header: ImagePatchHeader = {
    v: 1,
    mode,
    source:
      mode === 'delta' && om ? { imageId: om.imageId, diffIds: om.layers.map((l) => l.diffId) } : undefined,
    target: {
      imageId: tm.imageId,
      diffIds: tm.layers.map((l) => l.diffId),
      format: tm.format,
      container: target.files.container,
      repoTags: tm.repoTags,
    },
    entries,
    meta: { section: meta.section, size: meta.size },
    sections: sections.sections,
  };
  if (header.source === undefined) delete header.source;
  // Sections that lost to a better choice stay out of the file.
  const used = new Set<number>([meta.section]);
  for (const s of sources.values()) if (s.how !== 'ref') used.add(s.section);
  const remap = new Map<number, number>();
  const kept: ImagePatchHeader['sections'] = [];
  sections.sections.forEach((s, i) => {
    if (!used.has(i)) return;
    remap.set(i, kept.length);
    kept.push(s);
  });
  const keptFiles = sections.files.filter((_, i) => used.has(i));
  header.sections = kept;
  header.meta.section = remap.get(meta.section) as number;
  for (const e of header.entries)
    if (e.t === 'layer' && e.src.how !== 'ref')
      e.src = { ...e.src, section: remap.get(e.src.section) as number };
  const headerBytes = encodeImagePatchHeader(header, zstd19);
  const bytes = headerBytes.length + kept.reduce((a, s) => a + s.length, 0);
  return {
    header,
    headerBytes,
    files: keptFiles,
    layers: reports,
    bytes,
    metaBytes: sections.size(meta.section),
  };
}
