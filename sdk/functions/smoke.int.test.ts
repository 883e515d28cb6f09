import { expect, it } from 'vitest';
import { run, runStream } from './index.js';

it('smoke', async () => {
  let t = Date.now();
  expect((await run('aloft/busybox:1', ['echo', 'hi'])).toString()).toBe('hi\n');
  console.log('run', Date.now() - t);
  t = Date.now();
  expect((await run('aloft/busybox:1', ['cat'], { stdin: 'abc' })).toString()).toBe('abc');
  console.log('stdin', Date.now() - t);
  const chunks: string[] = [];
  for await (const c of runStream('aloft/busybox:1', ['sh', '-c', 'echo a; sleep 0.2; echo b']))
    chunks.push(c.toString());
  expect(chunks.join('')).toBe('a\nb\n');
  await expect(run('aloft/busybox:1', ['sh', '-c', 'echo x >&2; exit 3'])).rejects.toMatchObject({
    exitCode: 3,
  });
  await expect(run('aloft/busybox:1', ['sleep', '10'], { timeoutMs: 300 })).rejects.toMatchObject({
    code: 'FN_TIMEOUT',
  });
});
