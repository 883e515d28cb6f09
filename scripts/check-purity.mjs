#!/usr/bin/env node
// The pure core (delta/core, sdk/protocol, sdk/policy) compiles into the WebAssembly component
// and runs on devices: it may import only its own pure siblings and a few pure-JS packages.
// tsconfig.pure.json catches Node globals (Buffer, process, timers); this catches imports.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// --root DIR checks another tree (the purity check's own test uses it).
const rootArg = process.argv.indexOf('--root');
const root =
  rootArg > 0
    ? resolve(process.argv[rootArg + 1])
    : resolve(dirname(new URL(import.meta.url).pathname), '..');
const PURE = ['delta/core', 'sdk/protocol', 'sdk/policy'];
// Pure-JS packages with no I/O. Add one only after reading its source for node: imports.
const ALLOWED_PACKAGES = ['fzstd', '@noble/hashes', '@noble/curves', 'cbor-x', 'seek-bzip'];
const FORBIDDEN_GLOBALS =
  /\b(process\.|Buffer\.|require\(|setTimeout\(|setInterval\(|fetch\(|Date\.now\(|new Date\(\)|Math\.random\()/;

const files = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });

const problems = [];
for (const area of PURE) {
  const dir = join(root, area);
  let list;
  try {
    list = files(dir);
  } catch {
    continue;
  }
  for (const file of list) {
    const rel = relative(root, file);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      const where = `${rel}:${i + 1}`;
      for (const m of line.matchAll(/(?:from\s+|import\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/g)) {
        const spec = m[1];
        if (spec.startsWith('.')) {
          const target = relative(root, resolve(dirname(file), spec));
          if (!PURE.some((p) => target === p || target.startsWith(`${p}/`)) && !target.startsWith('types/'))
            problems.push(`${where}: imports ${spec}, which is outside the pure core`);
        } else if (!ALLOWED_PACKAGES.some((p) => spec === p || spec.startsWith(`${p}/`))) {
          problems.push(
            `${where}: imports '${spec}'; the pure core may import only ${ALLOWED_PACKAGES.join(', ')}`,
          );
        }
      }
      const trimmed = line.trim();
      if (!trimmed.startsWith('//') && !trimmed.startsWith('*') && FORBIDDEN_GLOBALS.test(line))
        problems.push(
          `${where}: uses ${line.match(FORBIDDEN_GLOBALS)[1]} (I/O, a clock or randomness): take it as a parameter instead`,
        );
    });
  }
}
if (problems.length) {
  process.stderr.write(`purity: ${problems.length} problem(s) in the pure core:\n${problems.join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`purity: ${PURE.join(', ')} import nothing impure\n`);
