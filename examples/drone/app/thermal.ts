import type { Feature } from './drone.js';

/** v2's new feature: the thermal camera; reports the hottest cell of each second's frame. */
export const thermal: Feature = {
  name: 'thermal',
  resources: ['thermal'],
  start({ bridge, report }) {
    bridge.on('event', (r: string, d: { seq: number; data: Uint8Array }) => {
      if (r !== 'thermal' || d.seq % 5 !== 0) return;
      let hot = 0;
      for (let i = 1; i < d.data.length; i++) if (d.data[i] > d.data[hot]) hot = i;
      report({ thermal: { frame: d.seq, hottest: hot, value: d.data[hot] } });
    });
  },
};
