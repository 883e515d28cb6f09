import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from './frame.js';
import { parseAgentMessage, parseAppMessage } from './messages.js';

describe('bridge frames', () => {
  const messages = [
    { t: 'hello', app: 'drone', version: '1' },
    { t: 'cmd', r: 'flight', d: { seq: 1, sp: { x: 1.5, y: -2, z: 20, yaw: 0.1 } } },
    { t: 'release', r: 'camera', state: { seq: 99 } },
    { t: 'evt', r: 'camera', d: { seq: 3, data: new Uint8Array([1, 2, 3]) } },
  ];

  it('decodes frames fed one byte at a time', () => {
    const bytes = Buffer.concat(messages.map((m) => encodeFrame(m)));
    const d = new FrameDecoder();
    const out: unknown[] = [];
    for (const b of bytes) out.push(...d.push(new Uint8Array([b])));
    expect(out).toHaveLength(messages.length);
    expect(out[1]).toEqual(messages[1]);
    expect(new Uint8Array((out[3] as { d: { data: Uint8Array } }).d.data)).toEqual(new Uint8Array([1, 2, 3]));
    expect(d.buffered).toBe(0);
  });

  it('decodes several frames arriving in one chunk', () => {
    const d = new FrameDecoder();
    expect(d.push(Buffer.concat(messages.map((m) => encodeFrame(m))))).toHaveLength(4);
  });

  it('refuses a frame above the cap before buffering it', () => {
    const d = new FrameDecoder(1024);
    const header = new Uint8Array([0, 0, 0x10, 0]); // 4096 bytes announced
    expect(() => d.push(header)).toThrow(/cap/);
    expect(() => encodeFrame({ t: 'cmd', r: 'x', d: new Uint8Array(2048) }, 1024)).toThrow(/frame cap/);
  });

  it('refuses bytes that are not CBOR', () => {
    const d = new FrameDecoder();
    expect(() => d.push(new Uint8Array([0, 0, 0, 1, 0xff]))).toThrow(/CBOR/);
  });
});

describe('bridge message schemas', () => {
  it('accepts well-formed app messages and rejects malformed ones with the reason', () => {
    expect(parseAppMessage({ t: 'acquire', r: 'flight' })).toEqual({ t: 'acquire', r: 'flight' });
    expect(parseAppMessage({ t: 'health', ok: false, detail: 'gps' })).toEqual({
      t: 'health',
      ok: false,
      detail: 'gps',
    });
    expect(() => parseAppMessage({ t: 'acquire', r: '../etc' })).toThrow(/resource name/);
    expect(() => parseAppMessage({ t: 'cmd', r: 'flight' })).toThrow(/'d' payload/);
    expect(() => parseAppMessage({ t: 'hello', app: 'x'.repeat(100), version: '1' })).toThrow(/at most 64/);
    expect(() => parseAppMessage([1, 2])).toThrow(/not a CBOR map/);
    expect(() => parseAppMessage({ t: 'format-disk' })).toThrow(/unknown kind/);
    expect(() => parseAppMessage({ t: 'health', ok: 'yes' })).toThrow(/boolean/);
  });

  it('checks agent messages too', () => {
    expect(parseAgentMessage({ t: 'granted', r: 'flight', state: { seq: 1 }, from: '1' })).toEqual({
      t: 'granted',
      r: 'flight',
      state: { seq: 1 },
      from: '1',
    });
    expect(() => parseAgentMessage({ t: 'welcome', app: 'drone', version: '1' })).toThrow(/handover/);
  });
});
