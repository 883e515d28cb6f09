// How many .gz files in the delta corpus our pure-TS deflate rebuilds byte for byte (gzip
// entries depend on it), and how fast: every gzip member inside bench/.cache/delta/*/{old,new}.tar
// is inflated, re-deflated at the level its header suggests (then the other), and compared. The
// real `gzip -9n` is run on the same content as the reference for "could be reproduced at all".
//   npm run build && node dist/bench/gzip-repro.js
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipMember, gzipDeflate, gzipRecipe } from '../delta/core/deflate/index.js';
import { bytesSource } from '../delta/core/io.js';
import { scanTar } from '../delta/core/tar/index.js';

const CACHE = join(process.cwd(), 'bench', '.cache', 'delta');
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

let members = 0;
let ours = 0;
let gnu = 0;
let bytes = 0;
let content = 0;
const misses: string[] = [];
const contents: Uint8Array[] = [];
for (const pair of existsSync(CACHE) ? readdirSync(CACHE) : []) {
  for (const side of ['old', 'new']) {
    const path = join(CACHE, pair, `${side}.tar`);
    if (!existsSync(path)) continue;
    const tar = new Uint8Array(readFileSync(path));
    for (const r of scanTar(bytesSource(tar)).regions) {
      const data = tar.subarray(r.offset, r.offset + r.size);
      if (data.length < 18 || data[0] !== 0x1f || data[1] !== 0x8b) continue;
      members++;
      bytes += data.length;
      const recipe = gzipRecipe(data, 1 << 28);
      let raw: Uint8Array | undefined;
      try {
        raw = gunzipMember(data, 1 << 28);
      } catch {
        raw = undefined;
      }
      if (raw) {
        content += raw.length;
        contents.push(raw);
        const level = data[8] === 2 ? '-9' : '-6';
        const ref = new Uint8Array(
          execFileSync('gzip', [level, '-n', '-c'], { input: raw, maxBuffer: 1 << 28 }),
        );
        const same = ref.subarray(10).every((b, i) => b === data[10 + i]) && ref.length === data.length;
        if (same) gnu++;
      }
      if (recipe) ours++;
      else misses.push(`${pair}/${side}: ${r.path} (xfl ${data[8]}, ${data.length} B)`);
    }
  }
}
console.log(
  `gzip members in the corpus: ${members} (${(bytes / 1e6).toFixed(2)} MB, ${(content / 1e6).toFixed(2)} MB inflated)`,
);
console.log(
  `reproduced by Aloft's deflate: ${ours}/${members}; by re-running GNU gzip on the content: ${gnu}/${members}`,
);
if (misses.length) console.log(`not reproduced:\n  ${misses.slice(0, 30).join('\n  ')}`);
for (const level of [9, 6]) {
  const t = cpu();
  for (const c of contents) gzipDeflate(c, level, () => {});
  const s = cpu() - t;
  console.log(
    `deflate -${level}: ${(content / 1e6 / s).toFixed(1)} MB/s of input (CPU time, ${s.toFixed(2)} s)`,
  );
}
