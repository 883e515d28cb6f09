import type { TimeWindow } from './types.js';

// Time is a value passed in (ms since the epoch): the pure core has no clock. Windows are in
// "local" time given as a fixed UTC offset, because a device in the field may have no tz data.

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Minutes after local midnight, and the local weekday (0 = Sunday). */
export function localTime(
  now: number,
  utcOffsetMinutes: number,
): { minute: number; weekday: number; dayStart: number } {
  const local = now + utcOffsetMinutes * MINUTE;
  const day = Math.floor(local / DAY);
  // 1970-01-01 was a Thursday (weekday 4).
  const weekday = (((day + 4) % 7) + 7) % 7;
  return {
    minute: Math.floor((local - day * DAY) / MINUTE),
    weekday,
    dayStart: day * DAY - utcOffsetMinutes * MINUTE,
  };
}

/** Whether `now` is inside the window (ignoring `outside`). */
export function insideWindow(w: TimeWindow, now: number): boolean {
  const { minute, weekday } = localTime(now, w.utcOffsetMinutes);
  const opensOn = (d: number) => !w.days || w.days.some((name) => WEEKDAY_INDEX[name] === d);
  if (w.from === w.to) return opensOn(weekday); // a whole day
  if (w.from < w.to) return minute >= w.from && minute < w.to && opensOn(weekday);
  // Wraps midnight: the evening part belongs to today's window, the morning part to yesterday's.
  if (minute >= w.from) return opensOn(weekday);
  if (minute < w.to) return opensOn((weekday + 6) % 7);
  return false;
}

export const windowMatches = (w: TimeWindow, now: number): boolean => insideWindow(w, now) !== w.outside;

/**
 * The first time after `now` at which windowMatches changes value, or null if it never does
 * within eight days (e.g. a window covering every minute). Candidates are the window edges;
 * we test each rather than solving for it, so wrapping and weekday rules stay in one place.
 */
export function nextWindowChange(w: TimeWindow, now: number): number | null {
  const current = windowMatches(w, now);
  const { dayStart } = localTime(now, w.utcOffsetMinutes);
  const candidates: number[] = [];
  for (let d = 0; d <= 8; d++) {
    for (const m of [w.from, w.to]) {
      const t = dayStart + d * DAY + m * MINUTE;
      if (t > now) candidates.push(t);
    }
    const midnight = dayStart + d * DAY;
    if (midnight > now) candidates.push(midnight);
  }
  candidates.sort((a, b) => a - b);
  for (const t of candidates) if (windowMatches(w, t) !== current) return t;
  return null;
}

const WEEKDAY_INDEX: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

/** "22:30" -> 1350; null when malformed. */
export function parseClock(text: string): number | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

export const formatClock = (minutes: number): string =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** A UTC timestamp a person can read, without Date's locale machinery: "2026-11-27 03:40 UTC". */
export function formatInstant(ms: number): string {
  // Civil-from-days (H. Hinnant's algorithm), so the pure core needs no Date object.
  const days = Math.floor(ms / DAY);
  const minute = Math.floor((ms - days * DAY) / MINUTE);
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${year}-${pad(month)}-${pad(day)} ${formatClock(minute)} UTC`;
}
