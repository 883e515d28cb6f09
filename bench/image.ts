// Image-level update bandwidth and time, on images built here from real Debian packages:
//   gzip9     `docker save NEW | gzip -9`: what shipping the whole image costs
//   zstd      layer by layer, `zstd --patch-from=OLD_LAYER -19 --long=27` (NEW layer i against
//             OLD layer i, or OLD's last layer; layers OLD has count 0), summed: the baseline
//   aloft     Aloft's image patch (layers by DiffID, per-file bsdiff, meta compressed), with the
//             base chosen per layer (most similar old layer) and, to choose, against all old files
// plus the seconds to create, to rebuild from the engine (apply --from-docker) and to docker load.
//
//   npm run build && node dist/bench/image.js [--out bench/results/image.md]
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  aloftLayerEngine,
  applyImagePatch,
  createImagePatch,
  loadImageIntoDocker,
  readImage,
  withTempDir,
} from '../delta/node/image/index.js';
import { materializeLayer } from '../delta/node/image/layers.js';
import {
  buildImage,
  buildSecurityUpdateImages,
  diffIds,
  imageId,
  removeTestImages,
  sh,
} from '../delta/node/image/testing/fixtures.js';
import { fileSize } from '../delta/node/image/testing/oci.js';
import { ensureBaseImages } from '../sdk/docker/index.js';

interface Row {
  name: string;
  layers: string;
  newTar: number;
  gzip9: number;
  zstd: number;
  aloft: number;
  aloftAll: number;
  createS: number;
  applyS: number;
  loadS: number;
  verified: boolean;
}

// Its own repository: the integration tests remove theirs (aloft-image-test/) when they run.
const REPO = 'aloft-image-bench';

const seconds = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const r = await f();
  return [r, (performance.now() - t) / 1000];
};

async function zstdLayerByLayer(oldTar: string, newTar: string, dir: string): Promise<number> {
  const o = await readImage(oldTar);
  const n = await readImage(newTar);
  try {
    let total = 0;
    const have = new Set(o.model.layers.map((l) => l.diffId));
    for (const l of n.model.layers) {
      // A layer OLD already has costs nothing in any layer-by-layer scheme.
      if (have.has(l.diffId)) continue;
      const ol = o.model.layers[Math.min(l.index, o.model.layers.length - 1)];
      const a = await materializeLayer(o.files, ol, dir, `zo${l.index}`);
      const b = await materializeLayer(n.files, l, dir, `zn${l.index}`);
      const p = join(dir, `z${l.index}.zst`);
      await sh('zstd', ['-q', '-f', '-19', '--long=27', `--patch-from=${a.tar}`, b.tar, '-o', p]);
      total += await fileSize(p);
    }
    return total;
  } finally {
    await o.files.close();
    await n.files.close();
  }
}

async function measure(name: string, oldTag: string, newTag: string, dir: string): Promise<Row> {
  const oldTar = join(dir, 'old.tar');
  const newTar = join(dir, 'new.tar');
  await sh('docker', ['save', oldTag, '-o', oldTar]);
  await sh('docker', ['save', newTag, '-o', newTar]);
  const gzip9 = Number((await sh('sh', ['-c', `gzip -9 < '${newTar}' | wc -c`])).trim());
  const zstd = await zstdLayerByLayer(oldTar, newTar, dir);
  const patch = join(dir, 'image.patch');
  const [summary, createS] = await seconds(() =>
    createImagePatch(oldTar, newTar, patch, { engine: aloftLayerEngine }),
  );
  const all = await createImagePatch(oldTar, newTar, join(dir, 'all.patch'), {
    engine: aloftLayerEngine,
    strategy: 'all',
  });
  const want = { id: await imageId(newTag), diffIds: await diffIds(newTag) };
  const out = join(dir, 'rebuilt.tar');
  const [, applyS] = await seconds(() =>
    applyImagePatch({ docker: oldTag }, patch, out, { engine: aloftLayerEngine }),
  );
  await sh('docker', ['rmi', newTag]);
  const [, loadS] = await seconds(() => loadImageIntoDocker(out));
  const got = { id: await imageId(newTag), diffIds: await diffIds(newTag) };
  const counts = { ref: 0, delta: 0, full: 0 };
  for (const l of summary.layers) counts[l.how]++;
  return {
    name,
    layers: `${counts.ref} ref, ${counts.delta} diff, ${counts.full} whole`,
    newTar: await fileSize(newTar),
    gzip9,
    zstd,
    aloft: summary.patchBytes,
    aloftAll: all.patchBytes,
    createS,
    applyS,
    loadS,
    verified: JSON.stringify(got) === JSON.stringify(want),
  };
}

const appFiles = (v: number) => {
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++)
    lines.push(`export function step${i}(s) { return s + ${i % 11 === 0 ? v : i}; }`);
  return { 'appfs/app/main.js': `// v${v}\n${lines.join('\n')}\n` };
};

async function main() {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  await ensureBaseImages();
  const rows: Row[] = [];
  try {
    const [ssl1, ssl2] = await buildSecurityUpdateImages(['libssl3', 'openssl'], 'openssl', REPO);
    const [ex1, ex2] = await buildSecurityUpdateImages(['libexpat1'], 'expat', REPO);
    const n1 = await buildImage(`${REPO}/node-app:1`, 'FROM aloft/node:20\nCOPY appfs/ /', appFiles(1));
    const n2 = await buildImage(`${REPO}/node-app:2`, 'FROM aloft/node:20\nCOPY appfs/ /', appFiles(2));
    for (const [name, a, b] of [
      ['libssl3+openssl 3.0.20 -> 3.0.22 (base layer)', ssl1, ssl2],
      ['libexpat1 2.5.0 deb12u2 -> u5 (base layer)', ex1, ex2],
      ['app v1 -> v2 over aloft/node:20', n1, n2],
    ] as const) {
      rows.push(await withTempDir((dir) => measure(name, a, b, dir)));
      process.stderr.write(`${JSON.stringify(rows.at(-1))}\n`);
    }
  } finally {
    await removeTestImages(REPO);
  }
  const kib = (n: number) => `${(n / 1024).toFixed(1)}`;
  const lines = [
    `## Image delta benchmark (${new Date().toISOString()})`,
    `machine: ${cpus().length} x ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${loadavg()[0].toFixed(1)}`,
    '',
    '| pair | layers | NEW docker save KiB | gzip -9 KiB | zstd --patch-from per layer KiB | Aloft KiB (base: similar layer) | Aloft KiB (base: all old) | Aloft/gzip | create s | rebuild s | docker load s | same ID+DiffIDs |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.layers} | ${kib(r.newTar)} | ${kib(r.gzip9)} | ${kib(r.zstd)} | ${kib(r.aloft)} | ${kib(r.aloftAll)} | ${(r.aloft / r.gzip9).toFixed(4)} | ${r.createS.toFixed(1)} | ${r.applyS.toFixed(1)} | ${r.loadS.toFixed(1)} | ${r.verified ? 'yes' : 'NO'} |`,
    ),
  ];
  const text = `${lines.join('\n')}\n`;
  process.stdout.write(text);
  if (values.out) {
    const { writeFile, rename } = await import('node:fs/promises');
    await writeFile(`${values.out}.tmp`, text);
    await rename(`${values.out}.tmp`, values.out);
  }
  if (!rows.every((r) => r.verified)) process.exitCode = 1;
}

await main();
