#!/usr/bin/env node
import { existsSync } from 'node:fs';

const entry = new URL('../dist/delta/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('delta: not built yet: run `npm ci` (or `npm run build`) in the aloft folder\n');
  process.exit(1);
}
await import(entry.href);
