import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BASE_IMAGES, dockerClient, ensureBaseImages } from '../../sdk/docker/index.js';
import { projectRoot } from '../../sdk/project-root.js';

/** The drone app's local images. v2 adds the thermal camera; v2-crash is v2 that dies after 1.5 s. */
export const DRONE_IMAGES = {
  v1: 'aloft/drone:1',
  v2: 'aloft/drone:2',
  v2crash: 'aloft/drone:2-crash',
} as const;

export const DRONE_LABEL = 'io.aloft.drone';
/** Which test run built an image (see buildDroneImages' `run`); cleanup filters on its value. */
export const DRONE_RUN_LABEL = `${DRONE_LABEL}.run`;

export type DroneImages = { readonly [K in keyof typeof DRONE_IMAGES]: string };

/** One test run's repository: its drone images are `aloft/drone-RUN:1`, `:2`, `:2-crash`. */
export const droneRunRepo = (run: string): string => `aloft/drone-${run}`;

export const droneRunImages = (run: string): DroneImages => ({
  v1: `${droneRunRepo(run)}:1`,
  v2: `${droneRunRepo(run)}:2`,
  v2crash: `${droneRunRepo(run)}:2-crash`,
});

/** Where bundles and build contexts go (git-ignored). */
export const buildDir = () => join(projectRoot(), 'examples', 'drone', 'build');

/**
 * Bundles one version of the app (TypeScript source + the bridge client + cbor-x) into a single
 * ESM file, so the image needs nothing but node: FROM aloft/node:20 plus one file.
 */
export async function bundleApp(entry: string, outFile: string): Promise<void> {
  const { build } = await import('rolldown');
  await build({
    input: entry,
    platform: 'node',
    logLevel: 'silent',
    // cbor-x probes for its optional native extractor at run time and falls back to pure JS.
    external: ['cbor-extract'],
    output: { file: outFile, format: 'esm', minify: false },
  });
}

/**
 * Bundles a host-side entry (the agent as a child process, benchmarks) with its npm packages left
 * external: the output sits under the project, so node resolves them from node_modules.
 */
export async function bundleHostEntry(entry: string, outFile: string): Promise<void> {
  const { build } = await import('rolldown');
  await build({
    input: entry,
    platform: 'node',
    logLevel: 'silent',
    external: (id: string) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0'),
    output: { file: outFile, format: 'esm', codeSplitting: false },
  });
}

async function buildImage(tag: string, context: string, files: string[]): Promise<void> {
  const docker = dockerClient();
  const stream = await docker.buildImage({ context, src: files }, { t: tag, rm: true, forcerm: true });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
      const failed = out?.find((o) => o.error);
      if (err || failed) reject(new Error(`docker build of ${tag} failed: ${err?.message ?? failed?.error}`));
      else resolve();
    });
  });
}

export interface BuildDroneOptions {
  /**
   * A test run's id: build that run's own images (droneRunImages(run)) instead of the shared
   * aloft/drone:N. A test must not use the shared tags: the demo removes aloft/drone:2 and
   * rebuilds it, and a clone with other app sources retags them under a running test.
   */
  run?: string;
}

/**
 * Builds aloft/drone:1, :2 and :2-crash, or with `run` that run's own images. The shared tags
 * are content-addressed rebuilds: unchanged inputs hit the build cache and retag the same image
 * ID, so `aloft demo` stays fast. A run's images carry DRONE_RUN_LABEL right after FROM: no
 * step is shared with another run's build cache (its removal can never take a parent another
 * build is using), every intermediate image is findable by the label, and containers made from
 * them inherit it. Their contexts go to a private folder (two runs in one clone bundle at once).
 */
export async function buildDroneImages(options: BuildDroneOptions = {}): Promise<DroneImages> {
  await ensureBaseImages();
  const { run } = options;
  const tags = run ? droneRunImages(run) : DRONE_IMAGES;
  const runLabel = run ? [`LABEL ${DRONE_RUN_LABEL}=${run}`] : [];
  await mkdir(buildDir(), { recursive: true });
  const dir = run ? await mkdtemp(join(buildDir(), `run-${run}-`)) : buildDir();
  try {
    const root = projectRoot();
    for (const v of ['1', '2'] as const) {
      const ctx = join(dir, `v${v}`);
      await mkdir(ctx, { recursive: true });
      await bundleApp(join(root, 'examples', 'drone', 'app', `v${v}.ts`), join(ctx, 'app.mjs'));
      await writeFile(
        join(ctx, 'Dockerfile'),
        [
          `FROM ${BASE_IMAGES.node}`,
          ...runLabel,
          'COPY app.mjs /app/app.mjs',
          // balena's label names, read by Aloft as aliases of io.aloft.update.*.
          `LABEL ${DRONE_LABEL}=${v} io.balena.update.strategy=hand-over io.balena.update.handover-timeout=30000`,
          'CMD ["node", "/app/app.mjs"]',
          '',
        ].join('\n'),
      );
      await buildImage(tags[`v${v}`], ctx, ['Dockerfile', 'app.mjs']);
    }
    const crash = join(dir, 'v2-crash');
    await mkdir(crash, { recursive: true });
    await writeFile(join(crash, 'Dockerfile'), `FROM ${tags.v2}\nENV DRONE_CRASH_AFTER_MS=1500\n`);
    await buildImage(tags.v2crash, crash, ['Dockerfile']);
  } finally {
    if (run) await rm(dir, { recursive: true, force: true });
  }
  return tags;
}
