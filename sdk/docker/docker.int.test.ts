import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BASE_IMAGES, dockerClient, LABEL_PREFIX } from './index.js';

// Another test run may share the engine: its containers carry the same test label, so this run
// marks its own with a run label (pid, and random bytes because pids repeat) and checks those.
const RUN_KEY = `${LABEL_PREFIX}test.run`;
const RUN_ID = `${process.pid}-${randomBytes(3).toString('hex')}`;

async function runAndCapture(image: string, cmd: string[]): Promise<{ stdout: string; status: number }> {
  const docker = dockerClient();
  const container = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    Labels: { [`${LABEL_PREFIX}test`]: 'foundation', [RUN_KEY]: RUN_ID },
    HostConfig: { AutoRemove: false },
  });
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    container.modem.demuxStream(stream, out, new PassThrough());
    await container.start();
    const { StatusCode } = await container.wait();
    await new Promise((r) => setImmediate(r));
    return { stdout: Buffer.concat(chunks).toString('utf8'), status: StatusCode };
  } finally {
    await container.remove({ force: true });
  }
}

describe('local base images on the real Docker Engine', () => {
  it('runs the busybox image and reads its output', async () => {
    const { stdout, status } = await runAndCapture(BASE_IMAGES.busybox, [
      'sh',
      '-c',
      'echo aloft $((6*7)); exit 3',
    ]);
    expect(stdout).toBe('aloft 42\n');
    expect(status).toBe(3);
  });

  it('runs node inside the node image', async () => {
    const { stdout } = await runAndCapture(BASE_IMAGES.node, ['node', '-p', 'process.versions.node']);
    expect(stdout.trim()).toBe(process.versions.node);
  });

  it('leaves no container of this run behind', async () => {
    const left = await dockerClient().listContainers({
      all: true,
      filters: { label: [`${LABEL_PREFIX}test=foundation`, `${RUN_KEY}=${RUN_ID}`] },
    });
    expect(left).toEqual([]);
  });
});
