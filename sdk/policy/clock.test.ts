import { describe, expect, it } from 'vitest';
import { formatInstant, insideWindow, localTime, nextWindowChange, parseClock } from './clock.js';
import { at } from './testing/builders.js';
import type { TimeWindow } from './types.js';

const win = (over: Partial<TimeWindow>): TimeWindow => ({
  from: 0,
  to: 60,
  utcOffsetMinutes: 0,
  outside: false,
  ...over,
});

describe('clock', () => {
  it('computes local minute and weekday without Date', () => {
    expect(localTime(at(2026, 11, 27, 3, 40), 0)).toMatchObject({ minute: 220, weekday: 5 });
    expect(localTime(at(2026, 11, 27, 23, 30), 60)).toMatchObject({ minute: 30, weekday: 6 });
    expect(localTime(at(1969, 12, 31, 23, 0), 0)).toMatchObject({ minute: 1380, weekday: 3 });
  });

  it('formats instants like Date does, across leap years and centuries', () => {
    for (const t of [
      0,
      at(2000, 2, 29, 12, 1),
      at(2026, 11, 27, 3, 40),
      at(2100, 3, 1),
      at(2024, 12, 31, 23, 59),
    ]) {
      const iso = new Date(t).toISOString();
      expect(formatInstant(t)).toBe(`${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`);
    }
  });

  it('parses HH:MM strictly', () => {
    expect(parseClock('00:00')).toBe(0);
    expect(parseClock('23:59')).toBe(1439);
    for (const bad of ['24:00', '7:00', '07:60', '0700', ' 07:00']) expect(parseClock(bad)).toBeNull();
  });

  it('treats from == to as the whole day and wrapping windows as belonging to their start day', () => {
    expect(insideWindow(win({ from: 600, to: 600, days: ['fri'] }), at(2026, 11, 27, 23, 59))).toBe(true);
    expect(insideWindow(win({ from: 600, to: 600, days: ['fri'] }), at(2026, 11, 28, 0, 0))).toBe(false);
    const friNight = win({ from: 1320, to: 300, days: ['fri'] });
    expect(insideWindow(friNight, at(2026, 11, 28, 2, 0))).toBe(true); // Saturday 02:00 belongs to Friday's window
    expect(insideWindow(friNight, at(2026, 11, 27, 2, 0))).toBe(false); // Friday 02:00 would be Thursday's
  });

  it('finds the next change, or null for a window that never changes', () => {
    expect(nextWindowChange(win({ from: 60, to: 120 }), at(2026, 11, 27, 1, 30))).toBe(
      at(2026, 11, 27, 2, 0),
    );
    expect(nextWindowChange(win({ from: 60, to: 120 }), at(2026, 11, 27, 2, 0))).toBe(at(2026, 11, 28, 1, 0));
    expect(nextWindowChange(win({ from: 0, to: 0 }), at(2026, 11, 27, 2, 0))).toBeNull();
  });
});
