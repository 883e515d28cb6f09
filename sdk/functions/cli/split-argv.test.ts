import { describe, expect, it } from 'vitest';
import { envPairs, splitAtImage } from './split-argv.js';

const valued = new Set(['e', 'env', 'timeout', 'w']);

describe('splitAtImage', () => {
  it('stops at the image; what follows goes to the container, even if it looks like an option', () => {
    expect(splitAtImage(['-e', 'A=1', '--timeout=5s', '-i', 'img', '-e', 'x', '--help'], valued)).toEqual({
      options: ['-e', 'A=1', '--timeout=5s', '-i'],
      image: 'img',
      args: ['-e', 'x', '--help'],
    });
  });
  it('honours -- and a missing image', () => {
    expect(splitAtImage(['-i', '--', '-odd-image', 'a'], valued)).toEqual({
      options: ['-i'],
      image: '-odd-image',
      args: ['a'],
    });
    expect(splitAtImage(['-w', '/tmp'], valued)).toEqual({
      options: ['-w', '/tmp'],
      image: undefined,
      args: [],
    });
  });
});

describe('envPairs', () => {
  it('reads KEY=value and takes a bare KEY from the environment', () => {
    expect(envPairs(['A=1=2', 'HOME', 'MISSING'], { HOME: '/root' })).toEqual({ A: '1=2', HOME: '/root' });
    expect(() => envPairs(['=x'], {})).toThrow(/no name/);
  });
});
