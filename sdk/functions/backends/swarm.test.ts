import { describe, expect, it } from 'vitest';
import { demuxLogs } from './swarm.js';

const frame = (stream: number, text: string) => {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
};

describe('demuxLogs', () => {
  it('splits the engine log stream into stdout and stderr', () => {
    const buf = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err\n'), frame(1, 'out two\n')]);
    const { stdout, stderr } = demuxLogs(buf);
    expect(stdout.toString()).toBe('out one\nout two\n');
    expect(stderr.toString()).toBe('err\n');
  });
  it('ignores a truncated trailing header', () => {
    expect(demuxLogs(Buffer.concat([frame(1, 'x'), Buffer.from([1, 0, 0])])).stdout.toString()).toBe('x');
  });
});
