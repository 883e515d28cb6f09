import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Command, parseCommandLine, UsageError } from '../cli/command.js';
import {
  DEFAULT_BLOCK_SIZE,
  describePatch,
  MAX_BLOCK_SIZE,
  type Manifest,
  STRATEGIES,
  type Strategy,
  signManifest,
  toHex,
} from '../protocol/index.js';
import {
  createWithDeltaEngine,
  fileDigest,
  type ImagePatchIds,
  imageIdOf,
  type MadePatch,
  readImagePatchIds,
} from './delta-bridge.js';
import { TransportError } from './errors.js';
import { answerFullImageRequests, checkPatchTarget } from './full-image-responder.js';
import { readPublicKey, readSecretKey } from './key-files.js';
import { nodeSha256 } from './node-sha256.js';
import { Publisher } from './publisher.js';

const help = `usage: aloft publish --fleet NAME --key KEY (--from OLD --to NEW | --patch FILE) (--broker URL | --out DIR) [options]

Signs a manifest for an update and broadcasts it with the patch to a fleet over MQTT, then
answers devices' repair requests until the fleet has been quiet for --linger seconds.

  --broker URL        mqtt://host:port (aedes or Mosquitto; MQTT 5 is used when offered)
  --fleet NAME        fleet name (one topic level: letters, digits, . _ -)
  --key KEY           Ed25519 private key (PKCS#8 PEM from aloft keygen)
  --from OLD --to NEW two container images (docker save or OCI): an image patch, with the
                      precursor, target and DiffIDs read from them; two files: a file patch
  --patch FILE        an already-made patch instead. An image patch (delta create of two
                      images) records the precursor, the target and its DiffIDs: they are the
                      defaults, and --precursor/--target/--diff-id/--from, if given, must agree
                      (else exit 1, nothing published). With --to NEW, the image it makes (docker
                      save or OCI; checked), NEW is sent in full on request (see --linger).
                      A file patch records none: OLD and NEW, if given, only name them
  --precursor DIGEST  sha256: ID of the image the patch applies to (default: read from the
                      images or the image patch, else sha256 of OLD)
  --target DIGEST     sha256: ID of the image it makes (default: from the images or the image
                      patch, else sha256 of NEW)
  --diff-id DIGEST    a layer DiffID of the target (repeat; default: from the images or the
                      image patch, else --target)
  --full              the patch is a full image: devices need no precursor
  --strategy S        ${STRATEGIES.join(' | ')} (default download-then-kill)
  --timeout MS        the strategy's timeout, e.g. the hand-over's (default 60000)
  --sequence N        anti-rollback sequence (default: now in ms, so it always increases)
  --expires DURATION  how long the manifest is valid: 90s, 30m, 24h, 7d (default 7d)
  --block-size BYTES  transfer block size (default ${DEFAULT_BLOCK_SIZE})
  --out DIR           write DIR/manifest.cbor and DIR/patch instead of publishing
  --linger SECONDS    keep answering repairs until this long without one (default 30; 0: exit).
                      With --to NEW an image (--from/--to images, or --patch with --to), a
                      device that runs neither the precursor nor NEW and asks for a full image
                      is sent NEW in full, on its own topics, meanwhile.
  --rate BYTES        pace the broadcast to BYTES per second (default: as fast as the broker takes)
  --mqtt 4|5|auto     MQTT version (default auto)
`;

export const publishCommand: Command = {
  name: 'aloft publish',
  summary: 'sign and broadcast an update to a fleet',
  help,
  async run(argv) {
    const { values: v } = parseCommandLine(
      argv,
      {
        broker: { type: 'string' },
        fleet: { type: 'string' },
        key: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        patch: { type: 'string' },
        precursor: { type: 'string' },
        target: { type: 'string' },
        'diff-id': { type: 'string', multiple: true },
        full: { type: 'boolean', default: false },
        strategy: { type: 'string', default: 'download-then-kill' },
        timeout: { type: 'string', default: '60000' },
        sequence: { type: 'string' },
        expires: { type: 'string', default: '7d' },
        'block-size': { type: 'string', default: String(DEFAULT_BLOCK_SIZE) },
        out: { type: 'string' },
        linger: { type: 'string', default: '30' },
        rate: { type: 'string' },
        mqtt: { type: 'string', default: 'auto' },
      },
      false,
    );
    if (!v.fleet) throw new UsageError('publish needs --fleet NAME');
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(v.fleet))
      throw new UsageError(`--fleet '${v.fleet}' must be letters, digits, . _ - (one topic level)`);
    if (!v.key) throw new UsageError('publish needs --key KEY (make one with aloft keygen)');
    if (!v.broker && !v.out) throw new UsageError('publish needs --broker URL or --out DIR');
    if (!v.patch && !(v.from && v.to))
      throw new UsageError('publish needs --from OLD --to NEW, or --patch FILE');
    if (!(STRATEGIES as readonly string[]).includes(v.strategy))
      throw new UsageError(`--strategy '${v.strategy}' is not one of ${STRATEGIES.join(', ')}`);
    const mqttVersion =
      v.mqtt === '4'
        ? 4
        : v.mqtt === '5'
          ? 5
          : v.mqtt === 'auto'
            ? 'auto'
            : badUsage(`--mqtt '${v.mqtt}' must be 4, 5 or auto`);
    const blockSize = int(v['block-size'], '--block-size', 1024, MAX_BLOCK_SIZE);
    const timeoutMs = int(v.timeout, '--timeout', 0);
    const linger = int(v.linger, '--linger', 0);
    const rate = v.rate === undefined ? undefined : int(v.rate, '--rate', 1024);
    const expiresMs = duration(v.expires);
    const now = Date.now();
    const sequence = v.sequence === undefined ? now : int(v.sequence, '--sequence', 1);
    for (const d of [v.precursor, v.target, ...(v['diff-id'] ?? [])])
      if (d !== undefined && !/^sha256:[0-9a-f]{64}$/.test(d))
        throw new UsageError(`'${d}' is not a sha256:<64 hex> digest`);

    const secretKey = await readSecretKey(v.key);
    const made = await makePatch(v.patch, v.from, v.to, {
      precursor: v.precursor,
      target: v.target,
      diffIds: v['diff-id'],
      full: v.full,
    });
    const precursor = v.precursor ?? made.precursor ?? (v.from ? await fileDigest(v.from) : undefined);
    const target = v.target ?? made.target ?? (v.to ? await fileDigest(v.to) : undefined);
    if (!target) throw new UsageError('with --patch, name the target image: --target DIGEST or --to NEW');
    const kind = v.full ? 'full' : made.kind;
    if (kind === 'delta' && !precursor)
      throw new UsageError('a delta needs its precursor: --precursor DIGEST or --from OLD (or --full)');
    if (made.patch.length === 0)
      throw new TransportError('TRANSPORT_INPUT', 'the patch is empty: nothing to publish');

    const { digest, blockHashes } = describePatch(made.patch, blockSize, nodeSha256);
    const manifest: Manifest = {
      version: 1,
      fleet: v.fleet,
      sequence,
      precursor: precursor ?? target,
      target: { imageId: target, diffIds: v['diff-id'] ?? made.diffIds ?? [target] },
      patch: { kind, digest, size: made.patch.length, blockSize, blockHashes },
      strategy: { name: v.strategy as Strategy, timeoutMs },
      issuedAt: now,
      expiresAt: now + expiresMs,
    };
    const envelope = signManifest(manifest, secretKey);
    const what = `manifest seq ${sequence}: patch ${made.patch.length} B in ${blockHashes.length / 8} blocks, sha256 ${toHex(digest).slice(0, 16)}…`;

    if (v.out) {
      await writeAtomically(join(v.out, 'manifest.cbor'), envelope);
      await writeAtomically(join(v.out, 'patch'), made.patch);
      process.stdout.write(`${join(v.out, 'manifest.cbor')}\n${join(v.out, 'patch')}\n${what}\n`);
      if (!v.broker) return 0;
    }
    const publicKey = await readPublicKey(v.key);
    const publisher = new Publisher({
      url: v.broker as string,
      fleet: v.fleet,
      mqttVersion,
      maxBytesPerSecond: rate,
    });
    await publisher.start();
    try {
      let lastRepair = Date.now();
      publisher.on('repair', (device, blocks) => {
        lastRepair = Date.now();
        process.stderr.write(`repair: ${blocks} block(s) to ${device}\n`);
      });
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const responder =
        made.images && v.to && kind === 'delta'
          ? answerFullImageRequests({ publisher, manifest, imagePath: v.to, secretKey, publicKey, log })
          : undefined;
      const howToAnswer = made.images
        ? 'the update is a full image already'
        : !v.to
          ? 'publish with --to NEW (the target image, docker save or OCI) to answer it'
          : v.patch
            ? `${v.to} is not a container image or ${v.patch} not an image patch: nothing to send in full`
            : `${v.to} is not a container image: nothing to send in full`;
      publisher.on('full-image-request', (r) => {
        lastRepair = Date.now();
        if (!responder)
          log(`full image requested by ${r.device} (runs ${r.have.slice(0, 19)}…): ${howToAnswer}`);
      });
      const started = Date.now();
      await publisher.publish(envelope, made.patch, [publicKey]);
      process.stdout.write(
        `published ${what} to ${v.broker} (MQTT ${publisher.protocolVersion === 5 ? '5, shared repairs' : '3.1.1'}) in ${((Date.now() - started) / 1000).toFixed(2)} s\n`,
      );
      lastRepair = Date.now();
      while (linger > 0 && Date.now() - lastRepair < linger * 1000)
        await new Promise((r) => setTimeout(r, 250));
      await responder?.idle();
      responder?.stop();
      const s = publisher.stats;
      process.stdout.write(
        `blocks: ${s.broadcastBlocks} broadcast, ${s.repairedBlocks} re-sent for ${s.repairRequests} repair request(s)\n`,
      );
    } finally {
      await publisher.stop();
    }
    return 0;
  },
};

/** IDs given by flags: with an image patch they must say what its header says. */
interface GivenIds {
  readonly precursor?: string;
  readonly target?: string;
  readonly diffIds?: readonly string[];
  readonly full: boolean;
}

async function makePatch(
  patchPath: string | undefined,
  from: string | undefined,
  to: string | undefined,
  given: GivenIds,
): Promise<MadePatch> {
  if (patchPath) {
    let patch: Uint8Array;
    try {
      patch = new Uint8Array(await readFile(patchPath));
    } catch (e) {
      throw new TransportError(
        'TRANSPORT_INPUT',
        `${patchPath}: cannot read the patch (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
    const ids = await readImagePatchIds(patchPath, patch);
    // A file patch records no image IDs: the flags, or OLD's and NEW's digests, name them.
    if (!ids) return { patch, kind: 'delta' };
    await checkImagePatchFlags(patchPath, ids, from, to, given);
    const { precursor, target, diffIds, kind } = ids;
    // With NEW (checked to be what the patch makes), NEW can be sent in full as with --from/--to.
    return { patch, precursor, target, diffIds, kind, images: to !== undefined };
  }
  const dir = await mkdtemp(join(tmpdir(), 'aloft-publish-'));
  try {
    return await createWithDeltaEngine(from as string, to as string, join(dir, 'patch'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * An image patch's header is the manifest's source of truth: a device on another image refuses
 * the delta, and one told another target or DiffIDs rebuilds an image that does not match. So
 * every flag given beside it must agree, else one line naming the flag, the file and both values.
 */
async function checkImagePatchFlags(
  path: string,
  ids: ImagePatchIds,
  from: string | undefined,
  to: string | undefined,
  given: GivenIds,
) {
  if (to) await checkPatchTarget(path, ids.target, to, given.target);
  const disagree = (flag: string, what: string, value: string, recorded: string) =>
    new TransportError(
      'TRANSPORT_INPUT',
      `${flag} ${value} is not the ${what} the patch ${path} records (${recorded}): drop ${flag} or correct it`,
    );
  if (given.target !== undefined && given.target !== ids.target)
    throw disagree('--target', 'target image ID', given.target, ids.target);
  // A full-image patch records no precursor: it applies to whatever a device runs.
  if (ids.precursor !== undefined && given.precursor !== undefined && given.precursor !== ids.precursor)
    throw disagree('--precursor', 'precursor image ID', given.precursor, ids.precursor);
  const diffIds = given.diffIds?.join(' ');
  if (diffIds !== undefined && diffIds !== ids.diffIds.join(' '))
    throw disagree('--diff-id', "target's DiffIDs", diffIds, ids.diffIds.join(' '));
  if (given.full && ids.kind === 'delta')
    throw new TransportError(
      'TRANSPORT_INPUT',
      `--full, but the patch ${path} is a delta from image ${ids.precursor}: drop --full`,
    );
  if (from && ids.precursor !== undefined) {
    const imageId = await imageIdOf(from);
    if (imageId !== ids.precursor)
      throw new TransportError(
        'TRANSPORT_INPUT',
        `${from} is ${imageId ? `image ${imageId}` : 'not a container image'}, but the patch ${path} applies to image ${ids.precursor}: give --from the image the patch was made from, or drop --from`,
      );
  }
}

async function writeAtomically(path: string, bytes: Uint8Array) {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(`${path}.tmp`, bytes);
  await rename(`${path}.tmp`, path);
}

function int(s: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(`${flag} '${s}' must be an integer from ${min} to ${max}`);
  return n;
}

function duration(s: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(s);
  if (!m) throw new UsageError(`--expires '${s}' must look like 90s, 30m, 24h or 7d`);
  return Number(m[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

function badUsage(message: string): never {
  throw new UsageError(message);
}
