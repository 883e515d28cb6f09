import { execFile } from 'node:child_process';

/**
 * The port through which image deltas diff and rebuild single layers: uncompressed tars in,
 * a patch file out, and back. The delta engine (delta/node) fills it with the per-file
 * bsdiff layer delta; the image code never looks inside a layer patch.
 */
export interface LayerDeltaEngine {
  readonly name: string;
  create(oldTar: string, newTar: string, patchOut: string): Promise<void>;
  apply(oldTar: string, patchFile: string, out: string): Promise<void>;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 1 << 20 }, (err, _o, stderr) =>
      err ? reject(new Error(`${cmd} failed: ${stderr.trim() || err.message}`)) : resolve(),
    );
  });
}

/**
 * `zstd --patch-from`: the baseline engine (and the one the benchmark compares against).
 * Not for devices: it needs the zstd program and a window as large as the old layer.
 */
export const zstdPatchFromEngine: LayerDeltaEngine = {
  name: 'zstd-patch-from',
  create: (oldTar, newTar, patchOut) =>
    run('zstd', ['-q', '-f', '-19', '--long=27', `--patch-from=${oldTar}`, newTar, '-o', patchOut]),
  apply: (oldTar, patchFile, out) =>
    run('zstd', ['-q', '-f', '-d', '--long=27', `--patch-from=${oldTar}`, patchFile, '-o', out]),
};

/**
 * Aloft's own layer delta (delta/node): per-file bsdiff over tar layers, rebuilt byte for
 * byte, applied by pure TypeScript with bounded memory. The default.
 */
export const aloftLayerEngine: LayerDeltaEngine = {
  name: 'aloft',
  async create(oldTar, newTar, patchOut) {
    const { createPatchFile } = await import('../create.js');
    createPatchFile(oldTar, newTar, patchOut);
  },
  async apply(oldTar, patchFile, out) {
    const { applyPatchFile } = await import('../apply.js');
    await applyPatchFile(oldTar, patchFile, out);
  },
};
