import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, decodeHead, hex } from '../delta/core/index.js';
import { applyPatchFile } from '../delta/node/apply.js';
import { createPatchFile } from '../delta/node/create.js';
import { ComponentDeltaError, componentDelta, type DeltaEngine } from './adapters.js';
import { type LoadedComponent, loadComponent } from './host.js';
import { appLayers, type LayerPair, scratch } from './testing/layers.js';

// Conformance: the component's apply must rebuild exactly the bytes the Node path
// (delta/node applyPatchFile) writes, from real patches made by the Node path, and fail with the
// same error codes on bad input: every variant, the shipped qjs-kernels and qjs-kernels-hosted-hash
// (the same composition, SHA-256 from the host's `hash` import) among them.

const tmp = scratch();
let engine: DeltaEngine;
let hostedHash: DeltaEngine;
let kernels: DeltaEngine;
let kernelsComponent: LoadedComponent;
let kernelsHosted: DeltaEngine;
let kernelsHostedComponent: LoadedComponent;
const pairs: LayerPair[] = [];

beforeAll(async () => {
  engine = componentDelta(await loadComponent('qjs'));
  hostedHash = componentDelta(await loadComponent('qjs-hosted-hash'));
  kernelsComponent = await loadComponent('qjs-kernels');
  kernels = componentDelta(kernelsComponent);
  kernelsHostedComponent = await loadComponent('qjs-kernels-hosted-hash');
  kernelsHosted = componentDelta(kernelsHostedComponent);
  pairs.push(appLayers(tmp.dir, 'tools', ['/usr/bin'], 1_200_000));
  pairs.push(appLayers(tmp.dir, 'js', ['node_modules/fzstd', 'node_modules/cbor-x/dist'], 800_000));
  // A plain file pair: two different real binaries, one bsdiff.
  pairs.push({ name: 'file', oldPath: '/usr/bin/bsdiff', newPath: '/usr/bin/bspatch' });
}, 240_000);
afterAll(() => tmp.remove());

const bytesOf = (b: Uint8Array) => ({ size: b.length, read: (o: number, n: number) => b.subarray(o, o + n) });

function applyInComponent(old: Uint8Array, patch: Uint8Array, using = engine) {
  const chunks: Uint8Array[] = [];
  const reads: number[] = [];
  const digest = using.apply(
    bytesOf(old),
    {
      size: patch.length,
      read: (o, n) => {
        reads.push(n);
        return patch.subarray(o, o + n);
      },
    },
    (c) => chunks.push(c.slice()),
  );
  return { out: Buffer.concat(chunks), chunks: chunks.length, reads, digest };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
  return 'no error';
}

describe('component apply-patch equals the Node path', () => {
  it.each(['tools', 'js', 'file'])('%s: byte for byte', async (name) => {
    const p = pairs.find((x) => x.name === name)!;
    const patchPath = join(tmp.dir, `${name}.aloft`);
    const outPath = join(tmp.dir, `${name}.node-out`);
    createPatchFile(p.oldPath, p.newPath, patchPath);
    await applyPatchFile(p.oldPath, patchPath, outPath);
    const nodeOut = readFileSync(outPath);
    const old = readFileSync(p.oldPath);
    const patch = readFileSync(patchPath);

    const got = applyInComponent(old, patch);
    expect(got.out.length).toBe(nodeOut.length);
    expect(Buffer.compare(got.out, nodeOut)).toBe(0);
    expect(Buffer.compare(nodeOut, readFileSync(p.newPath))).toBe(0);
    expect(got.digest.sha256).toBe(hex(decodeHead(bytesOf(patch), DEFAULT_LIMITS).head.target.sha256));
    // Streamed: output leaves in pieces, and no read pulls the whole patch at once.
    if (nodeOut.length > 1 << 20) expect(got.chunks).toBeGreaterThan(1);
    if (patch.length > 1 << 20) expect(Math.max(...got.reads)).toBeLessThan(patch.length);

    // The engine-hosted-hash world (SHA-256 lent by the host) rebuilds the same bytes.
    expect(Buffer.compare(applyInComponent(old, patch, hostedHash).out, nodeOut)).toBe(0);
    // So do the compositions with the C kernels inside, SHA-256 the kernel's or the host's (its
    // small updates gathered, its pooled contexts reused after a digest: the js pair's many files).
    for (const using of [kernels, kernelsHosted]) {
      const k = applyInComponent(old, patch, using);
      expect(Buffer.compare(k.out, nodeOut)).toBe(0);
      expect(k.digest.sha256).toBe(got.digest.sha256);
      if (nodeOut.length > 1 << 20) expect(k.chunks).toBeGreaterThan(1);
      if (patch.length > 1 << 20) expect(Math.max(...k.reads)).toBeLessThan(patch.length);
    }
  });

  it('inspect-patch reports what decodeHead reads', () => {
    const patch = readFileSync(join(tmp.dir, 'tools.aloft'));
    const want = decodeHead(bytesOf(patch), DEFAULT_LIMITS);
    const info = engine.inspect(bytesOf(patch));
    expect(info).toMatchObject({
      version: want.head.version,
      kind: 'tar',
      headBytes: want.headBytes,
      oldSize: want.head.oldLayout.size,
      oldRegions: want.head.oldLayout.regions,
      source: { size: want.head.source.size, sha256: hex(want.head.source.sha256), gzip: false },
      target: { size: want.head.target.size, sha256: hex(want.head.target.sha256), gzip: false },
    });
    expect(info.streams.map((s) => s.name)).toEqual(['table', 'ctrl', 'diff', 'extra', 'lit']);
  });
});

describe('component apply-patch fails like the Node path', () => {
  it.each(['qjs', 'qjs-kernels', 'qjs-kernels-hosted-hash'])(
    '%s: rejects a truncated, a corrupted and a foreign patch with delta/core codes',
    (kind) => {
      const using = { qjs: engine, 'qjs-kernels': kernels }[kind] ?? kernelsHosted;
      const old = readFileSync(pairs[0].oldPath);
      const patch = readFileSync(join(tmp.dir, 'tools.aloft'));
      expect(codeOf(() => applyInComponent(old, patch.subarray(0, patch.length - 10), using))).toBe(
        'DELTA_PATCH_TRUNCATED',
      );
      expect(codeOf(() => applyInComponent(old, Buffer.from('definitely not a patch'), using))).toBe(
        'DELTA_PATCH_INVALID',
      );
      const flipped = Buffer.from(patch);
      flipped[flipped.length - 100] ^= 0xff;
      const code = codeOf(() => applyInComponent(old, flipped, using));
      expect(['DELTA_PATCH_INVALID', 'DELTA_OUTPUT_MISMATCH', 'DELTA_DECOMPRESS']).toContain(code);
      // A failed apply leaves the kernels' engine usable (hash contexts abandoned mid-file): the
      // next apply is exact again.
      expect(Buffer.compare(applyInComponent(old, patch, using).out, readFileSync(pairs[0].newPath))).toBe(0);
    },
  );

  it('rejects the wrong OLD', () => {
    const patch = readFileSync(join(tmp.dir, 'tools.aloft'));
    const wrong = readFileSync(pairs[1].oldPath);
    expect(codeOf(() => applyInComponent(wrong, patch))).toBe('DELTA_SOURCE_MISMATCH');
    expect(codeOf(() => applyInComponent(wrong, patch, kernels))).toBe('DELTA_SOURCE_MISMATCH');
    expect(codeOf(() => applyInComponent(wrong, patch, kernelsHosted))).toBe('DELTA_SOURCE_MISMATCH');
  });

  it('surfaces errors as ComponentDeltaError', () => {
    let caught: unknown;
    try {
      engine.inspect(bytesOf(Buffer.from('tiny')));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ComponentDeltaError);
    expect((caught as ComponentDeltaError).code).toBe('DELTA_PATCH_TRUNCATED');
  });
});

describe('the composed components', () => {
  it.each([
    ['qjs-kernels', ['io']],
    ['qjs-kernels-hosted-hash', ['hash', 'io']],
  ])('%s imports only %j: every kernel but a borrowed hash is inside', async (kind, names) => {
    const c = kind === 'qjs-kernels' ? kernelsComponent : kernelsHostedComponent;
    expect([...c.imports].sort()).toEqual(names.map((n) => `aloft:engine/${n}`));
    const { componentWit } = await import('@bytecodealliance/jco');
    const wit = await componentWit(readFileSync(c.wasmPath));
    const imports = wit.split('\n').filter((l) => /^\s*import /.test(l));
    expect(imports.map((l) => l.trim()).sort()).toEqual(names.map((n) => `import aloft:engine/${n}@0.1.0;`));
    expect(wit).toContain('export aloft:engine/delta@0.1.0;');
    expect(wit).toContain('export aloft:engine/policy@0.1.0;');
  });

  it("calls its host imports without jco's task bookkeeping (wasm/jco-glue.ts found every shape)", () => {
    expect([...kernelsHostedComponent.leanImports].sort()).toEqual([
      'aloft:engine/hash@0.1.0#digest',
      'aloft:engine/hash@0.1.0#update',
      'aloft:engine/io@0.1.0#read',
      'aloft:engine/io@0.1.0#write',
    ]);
  });

  it("a host import's error reaches the caller, and the next apply is exact", () => {
    const old = readFileSync(pairs[0].oldPath);
    const patch = readFileSync(join(tmp.dir, 'tools.aloft'));
    const want = readFileSync(pairs[0].newPath);
    for (const using of [kernels, kernelsHosted]) {
      let reads = 0;
      using.apply(
        {
          size: old.length,
          read: (o, n) => {
            reads++;
            return old.subarray(o, o + n);
          },
        },
        bytesOf(patch),
        () => {},
      );
      // OLD fails at its first read (the layout's, from JS), its middle one and its last (in the
      // qjs-kernels build, made by the output kernel in C).
      for (const failAt of [1, Math.ceil(reads / 2), reads]) {
        let n = 0;
        const failing = {
          size: old.length,
          read: (o: number, len: number) => {
            if (++n === failAt) throw new Error(`disk gone at read ${failAt}`);
            return old.subarray(o, o + len);
          },
        };
        expect(() => using.apply(failing, bytesOf(patch), () => {})).toThrow(`disk gone at read ${failAt}`);
        expect(Buffer.compare(applyInComponent(old, patch, using).out, want)).toBe(0);
      }
    }
  });

  it("qjs-kernels' memory stays flat from one apply to the next (OLD's windows are given back)", () => {
    const old = readFileSync(pairs[0].oldPath);
    const patch = readFileSync(join(tmp.dir, 'tools.aloft'));
    for (let i = 0; i < 3; i++) applyInComponent(old, patch, kernels);
    const settled = kernelsComponent.memoryBytes();
    for (let i = 0; i < 20; i++) applyInComponent(old, patch, kernels);
    // Each apply reads OLD (1.2 MB) through the output kernel's windows: kept, they would grow
    // the memory by about that much per apply.
    expect(kernelsComponent.memoryBytes() - settled).toBeLessThan(old.length);
    expect(settled).toBeGreaterThan(0);
  });
});
