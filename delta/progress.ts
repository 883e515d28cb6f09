/**
 * A one-line progress bar on stderr, only when stderr is a terminal (never in pipes, logs or
 * tests). Redraws at most every 100 ms; done() clears the line.
 */
export function progressBar(label: string): {
  update: (done: number, total: number) => void;
  done: () => void;
} {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  let drawn = false;
  return {
    update(done, total) {
      if (!tty || total <= 0) return;
      const now = performance.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const width = 30;
      const frac = Math.min(1, done / total);
      const fill = Math.round(frac * width);
      process.stderr.write(
        `\r${label} [${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}%`,
      );
      drawn = true;
    },
    done() {
      if (drawn) process.stderr.write('\r\x1b[K');
      drawn = false;
    },
  };
}

export const humanBytes = (n: number): string => {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
};
