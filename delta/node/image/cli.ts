import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseCommandLine, UsageError } from '../../../sdk/cli/command.js';
import { ImageError } from '../../core/image/index.js';
import { applyImagePatch } from './apply.js';
import { createImagePatch } from './create.js';
import { loadImageIntoDocker } from './docker.js';
import { formatImagePatchInfo, imagePatchInfo } from './info.js';
import { aloftLayerEngine } from './layer-engine.js';
import { isImageInput } from './read-image.js';

// The image branch of the `delta` command. delta/cli.ts asks routeImageCommand first; it
// answers undefined when the inputs are not images, and the layer/file commands run as before.

export const imageHelp = `Container images (docker-save tars, OCI layouts as a folder or a tar) are detected:

  delta create OLD_IMAGE NEW_IMAGE -o PATCH [--max-ratio R] [--base layer|all] [--json]
  delta apply OLD_IMAGE PATCH -o NEW_IMAGE [--load] [--json]
  delta apply --from-docker IMAGE_REF PATCH [-o NEW_IMAGE] [--load] [--json]
  delta info PATCH [--json]

  Layers OLD already has (same DiffID) are referenced; other layers are diffed against the
  most similar old layer (--base all: against all old layers); manifests and config travel
  zstd-compressed. The result has NEW's image ID and DiffIDs, checked before it is written.
  --max-ratio R     write the full image instead when the delta exceeds R x the full payload
  --from-docker REF read the old image from the local Docker Engine (docker save)
  --load            docker load the result (without -o, no file is kept)
`;

const log = (line: string) => {
  if (process.stderr.isTTY) process.stderr.write(`${line}\n`);
};

const humanBytes = (n: number): string =>
  n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(2)} MiB`;

async function runCreate(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, {
    output: { type: 'string', short: 'o' },
    'max-ratio': { type: 'string' },
    base: { type: 'string', default: 'layer' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length !== 2) throw new UsageError('create takes OLD_IMAGE and NEW_IMAGE');
  if (!values.output) throw new UsageError('create needs -o PATCH');
  let maxRatio: number | undefined;
  if (values['max-ratio'] !== undefined) {
    maxRatio = Number(values['max-ratio']);
    if (!Number.isFinite(maxRatio) || maxRatio <= 0)
      throw new UsageError(`--max-ratio '${values['max-ratio']}' is not a positive number`);
  }
  if (values.base !== 'layer' && values.base !== 'all')
    throw new UsageError(`--base '${values.base}' is not layer or all`);
  const started = performance.now();
  const s = await createImagePatch(positionals[0], positionals[1], values.output, {
    engine: aloftLayerEngine,
    maxRatio,
    strategy: values.base,
    log,
  });
  const seconds = (performance.now() - started) / 1000;
  if (values.json) process.stdout.write(`${JSON.stringify({ kind: 'image', ...s, seconds })}\n`);
  else {
    const counts = { ref: 0, delta: 0, full: 0 };
    for (const l of s.layers) counts[l.how]++;
    process.stdout.write(
      `${values.output}: image ${s.mode === 'full' ? 'full payload' : 'delta'}, ${humanBytes(s.patchBytes)}, ${s.layers.length} layers: ${counts.ref} referenced, ${counts.delta} diffed, ${counts.full} whole; ${seconds.toFixed(2)} s\n`,
    );
  }
  return 0;
}

async function runApply(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, {
    output: { type: 'string', short: 'o' },
    'from-docker': { type: 'string' },
    load: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  const fromDocker = values['from-docker'];
  const want = fromDocker ? 1 : 2;
  if (positionals.length !== want)
    throw new UsageError(
      fromDocker ? 'apply --from-docker IMAGE_REF takes PATCH' : 'apply takes OLD_IMAGE and PATCH',
    );
  if (!values.output && !values.load) throw new UsageError('apply needs -o NEW_IMAGE (or --load)');
  const patch = positionals[want - 1];
  const out = values.output ?? join(tmpdir(), `aloft-image-${process.pid}.tar`);
  const started = performance.now();
  try {
    const r = await applyImagePatch(
      fromDocker ? { docker: fromDocker } : { path: positionals[0] },
      patch,
      out,
      {
        engine: aloftLayerEngine,
        container: values.load ? 'tar' : undefined,
        log,
      },
    );
    let loaded: string | undefined;
    if (values.load && r.format === 'oci')
      throw new ImageError(
        'IMAGE_UNSUPPORTED',
        `${patch} rebuilds an OCI layout without docker's manifest.json, which docker load (before Docker 25) cannot read: use -o and import it with an OCI tool`,
      );
    if (values.load) loaded = await loadImageIntoDocker(out);
    const seconds = (performance.now() - started) / 1000;
    if (values.json) process.stdout.write(`${JSON.stringify({ kind: 'image', ...r, loaded, seconds })}\n`);
    else {
      const where = values.output ? values.output : 'the Docker Engine';
      const un = r.uncompressed.length
        ? `; layers ${r.uncompressed.join(', ')} written uncompressed (gzip not reproducible)`
        : '';
      process.stdout.write(
        `${where}: image ${r.imageId} rebuilt and verified (${r.diffIds.length} layers)${un}${loaded ? `; ${loaded}` : ''}; ${seconds.toFixed(2)} s\n`,
      );
    }
    return 0;
  } finally {
    if (!values.output) await rm(out, { force: true });
  }
}

async function runInfo(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, { json: { type: 'boolean', default: false } });
  if (positionals.length !== 1) throw new UsageError('info takes PATCH');
  const info = await imagePatchInfo(positionals[0]);
  process.stdout.write(
    values.json ? `${JSON.stringify(info)}\n` : `${positionals[0]}: ${formatImagePatchInfo(info)}\n`,
  );
  return 0;
}

/** Positionals of a delta command line, without validating options (that comes later). */
function loosePositionals(argv: string[]): string[] {
  try {
    return parseArgs({
      args: argv,
      strict: false,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        'max-ratio': { type: 'string' },
        format: { type: 'string' },
        base: { type: 'string' },
        'from-docker': { type: 'string' },
      },
    }).positionals;
  } catch {
    return [];
  }
}

/**
 * Runs `delta create|apply|info` for images and image patches; undefined when the inputs are
 * something else (the delta command then handles them as files or layers).
 */
export async function routeImageCommand(name: string, argv: string[]): Promise<number | undefined> {
  const pos = loosePositionals(argv);
  if (name === 'create') {
    if (
      pos.length === 2 &&
      (await isImageInput(pos[0])) === 'image' &&
      (await isImageInput(pos[1])) === 'image'
    )
      return runCreate(argv);
    if (argv.includes('--max-ratio'))
      throw new UsageError('--max-ratio is for images: OLD and NEW are not both container images');
    return undefined;
  }
  if (name === 'apply') {
    if (argv.some((a) => a === '--from-docker' || a.startsWith('--from-docker=') || a === '--load'))
      return runApply(argv);
    if (pos.length === 2 && (await isImageInput(pos[1])) === 'image-patch') return runApply(argv);
    return undefined;
  }
  if (name === 'info' && pos.length === 1 && (await isImageInput(pos[0])) === 'image-patch')
    return runInfo(argv);
  return undefined;
}
