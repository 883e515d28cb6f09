import { closeSync, openSync, readSync } from 'node:fs';
import { parseCommandLine, UsageError } from '../sdk/cli/command.js';
import { humanBytes, progressBar } from './progress.js';

export const applyHelp = `usage: delta apply OLD PATCH -o OUT [--json]

Rebuilds NEW from OLD and PATCH into OUT. Aloft patches are checked end to end: OLD must be the
file the patch was made from (sha256), every rebuilt file and the whole output are verified,
and OUT appears (atomically renamed) only when all checks pass. BSDIFF40 patches (Debian's
bsdiff) are detected and applied too; they carry no digests, so only their structure is checked.

  -o, --output OUT   where to write the result
  --json             print a summary (sizes, seconds) as JSON on stdout
`;

export async function runApply(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, {
    output: { type: 'string', short: 'o' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length !== 2) throw new UsageError('apply takes OLD and PATCH');
  if (!values.output) throw new UsageError('apply needs -o OUT');
  const [oldPath, patchPath] = positionals;
  const bar = progressBar('applying');
  let summary: { outSize: number; seconds: number; format: string };
  try {
    // Each format's code is loaded only when the patch is of that format (start-up memory).
    if (patchMagic(patchPath) === 'BSDIFF40') {
      const { applyClassicPatchFile } = await import('./node/classic.js');
      summary = await applyClassicPatchFile(oldPath, patchPath, values.output);
    } else {
      const { applyPatchFile } = await import('./node/apply.js');
      summary = await applyPatchFile(oldPath, patchPath, values.output, { progress: bar.update });
    }
  } finally {
    bar.done();
  }
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else
    process.stdout.write(
      `${values.output}: ${humanBytes(summary.outSize)} rebuilt${summary.format === 'aloft' ? ' and verified' : ''} in ${summary.seconds.toFixed(2)} s\n`,
    );
  return 0;
}

/** The first 8 bytes as text ('' when unreadable: the applier then reports the real error). */
export function patchMagic(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const head = new Uint8Array(8);
    const n = readSync(fd, head, 0, 8, 0);
    return String.fromCharCode(...head.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}
