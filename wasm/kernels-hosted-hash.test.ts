import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatBytes, DEFAULT_LIMITS, decodeHead, hex } from '../delta/core/index.js';
import { createPatch } from '../delta/core/patch/create.js';
import { applyPatchFile } from '../delta/node/apply.js';
import { createPatchFile } from '../delta/node/create.js';
import { nodeSha256 } from '../delta/node/hash.js';
import { gnuTarBytes } from '../delta/node/testing/fixtures.js';
import { applyInMemory, digestOf, testCompress } from '../delta/node/testing/patch.js';
import { componentDelta, type DeltaEngine } from './adapters.js';
import { type LoadedComponent, loadComponent } from './host.js';
import { appLayers, type LayerPair, scratch } from './testing/layers.js';

// qjs-kernels-hosted-hash: the shipped composition (every C kernel inside) except that SHA-256
// comes from the host's `hash` import (wasm/compose.mjs, hostedHash). It must rebuild exactly what
// the Node path writes, from real patches made by the Node path, and import `io` and `hash` only.

const tmp = scratch();
let component: LoadedComponent;
let hosted: DeltaEngine;
const pairs: LayerPair[] = [];

beforeAll(async () => {
  component = await loadComponent('qjs-kernels-hosted-hash');
  hosted = componentDelta(component);
  pairs.push(appLayers(tmp.dir, 'tools', ['/usr/bin'], 1_200_000));
  // Many small files: their updates are gathered, and pooled host contexts are reused after a digest.
  pairs.push(appLayers(tmp.dir, 'js', ['node_modules/fzstd', 'node_modules/cbor-x/dist'], 800_000));
  pairs.push({ name: 'file', oldPath: '/usr/bin/bsdiff', newPath: '/usr/bin/bspatch' });
}, 240_000);
afterAll(() => tmp.remove());

const bytesOf = (b: Uint8Array) => ({ size: b.length, read: (o: number, n: number) => b.subarray(o, o + n) });

function applyHosted(old: Uint8Array, patch: Uint8Array) {
  const chunks: Uint8Array[] = [];
  const digest = hosted.apply(bytesOf(old), bytesOf(patch), (c) => chunks.push(c.slice()));
  return { out: Buffer.concat(chunks), chunks: chunks.length, digest };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
  return 'no error';
}

describe('qjs-kernels-hosted-hash apply-patch equals the Node path', () => {
  it.each(['tools', 'js', 'file'])('%s: byte for byte', async (name) => {
    const p = pairs.find((x) => x.name === name)!;
    const patchPath = join(tmp.dir, `${name}.aloft`);
    const outPath = join(tmp.dir, `${name}.node-out`);
    createPatchFile(p.oldPath, p.newPath, patchPath);
    await applyPatchFile(p.oldPath, patchPath, outPath);
    const nodeOut = readFileSync(outPath);
    const patch = readFileSync(patchPath);
    const got = applyHosted(readFileSync(p.oldPath), patch);
    expect(got.out.length).toBe(nodeOut.length);
    expect(Buffer.compare(got.out, nodeOut)).toBe(0);
    expect(Buffer.compare(nodeOut, readFileSync(p.newPath))).toBe(0);
    expect(got.digest.sha256).toBe(hex(decodeHead(bytesOf(patch), DEFAULT_LIMITS).head.target.sha256));
    if (nodeOut.length > 1 << 20) expect(got.chunks).toBeGreaterThan(1);
  });

  it('gzip entries: the C codec re-deflates what the Node path does', () => {
    const gz = (text: string, level: number) =>
      new Uint8Array(execFileSync('gzip', [`-${level}`, '-n', '-c'], { input: text, maxBuffer: 1 << 26 }));
    const log = (n: number, seed: number) => {
      let s = '';
      for (let v = n; v > 0; v--)
        s += `pkg (1.${v}.${(v * seed) % 17}-1) bookworm; urgency=medium\n\n  * Fix bug #${900000 + v * seed}.\n\n -- M <m@example.org>  ${v} Jan\n\n`;
      return s;
    };
    const OLD = gnuTarBytes({
      'usr/share/doc/pkg/changelog.gz': gz(log(3000, 7), 9),
      'usr/share/doc/pkg/NEWS.gz': gz(log(500, 5), 4),
      'usr/bin/pkg': 'binary v1',
    });
    const NEW = gnuTarBytes({
      'usr/share/doc/pkg/changelog.gz': gz(log(3004, 7), 9),
      'usr/share/doc/pkg/NEWS.gz': gz(log(520, 5), 5),
      'usr/bin/pkg': 'binary v2',
    });
    const made = createPatch({
      old: OLD,
      new: NEW,
      source: digestOf(OLD),
      newGzip: false,
      sha256: nodeSha256,
      compress: testCompress,
    });
    expect(made.stats.gzip).toBeGreaterThan(0);
    const patch = concatBytes(made.parts);
    const want = applyInMemory(OLD, patch);
    expect(Buffer.compare(applyHosted(OLD, patch).out, want)).toBe(0);
    expect(Buffer.compare(want, NEW)).toBe(0);
  });
});

describe('qjs-kernels-hosted-hash fails like the Node path', () => {
  it('rejects a truncated, a corrupted and a foreign patch, the wrong OLD, and applies again after', () => {
    const old = readFileSync(pairs[0].oldPath);
    const patch = readFileSync(join(tmp.dir, 'tools.aloft'));
    expect(codeOf(() => applyHosted(old, patch.subarray(0, patch.length - 10)))).toBe(
      'DELTA_PATCH_TRUNCATED',
    );
    expect(codeOf(() => applyHosted(old, Buffer.from('definitely not a patch')))).toBe('DELTA_PATCH_INVALID');
    const flipped = Buffer.from(patch);
    flipped[flipped.length - 100] ^= 0xff;
    expect(['DELTA_PATCH_INVALID', 'DELTA_OUTPUT_MISMATCH', 'DELTA_DECOMPRESS']).toContain(
      codeOf(() => applyHosted(old, flipped)),
    );
    expect(codeOf(() => applyHosted(readFileSync(pairs[1].oldPath), patch))).toBe('DELTA_SOURCE_MISMATCH');
    // A failed apply leaves hashing contexts behind mid-file: the next apply is exact again.
    expect(Buffer.compare(applyHosted(old, patch).out, readFileSync(pairs[0].newPath))).toBe(0);
  });
});

describe('the composed component (qjs-kernels-hosted-hash)', () => {
  it('imports io and hash only: SHA-256 from the host, every other kernel inside', async () => {
    expect([...component.imports].sort()).toEqual(['aloft:engine/hash', 'aloft:engine/io']);
    const { componentWit } = await import('@bytecodealliance/jco');
    const wit = await componentWit(readFileSync(component.wasmPath));
    const imports = wit.split('\n').filter((l) => /^\s*import /.test(l));
    expect(imports.map((l) => l.trim()).sort()).toEqual([
      'import aloft:engine/hash@0.1.0;',
      'import aloft:engine/io@0.1.0;',
    ]);
    expect(wit).toContain('export aloft:engine/delta@0.1.0;');
    expect(wit).toContain('export aloft:engine/policy@0.1.0;');
  });

  it("calls its host imports without jco's task bookkeeping (wasm/jco-glue.ts found every shape)", () => {
    expect([...component.leanImports].sort()).toEqual([
      'aloft:engine/hash@0.1.0#digest',
      'aloft:engine/hash@0.1.0#update',
      'aloft:engine/io@0.1.0#read',
      'aloft:engine/io@0.1.0#write',
    ]);
  });

  it("a host import's error reaches the caller, and the next apply is exact", () => {
    const p = pairs[0];
    const old = readFileSync(p.oldPath);
    const patch = readFileSync(join(tmp.dir, 'tools.aloft'));
    const failing = {
      size: old.length,
      read: () => {
        throw new Error('disk gone');
      },
    };
    expect(() => hosted.apply(failing, bytesOf(patch), () => {})).toThrow(/disk gone/);
    expect(Buffer.compare(applyHosted(old, patch).out, readFileSync(p.newPath))).toBe(0);
  });
});
