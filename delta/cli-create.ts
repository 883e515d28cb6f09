import { parseCommandLine, UsageError } from '../sdk/cli/command.js';
import { createClassicPatchFile } from './node/classic.js';
import { createPatchFile } from './node/create.js';
import { humanBytes, progressBar } from './progress.js';

export const createHelp = `usage: delta create OLD NEW -o PATCH [--format aloft|bsdiff40] [--whole-file] [--json]

Makes a patch that rebuilds NEW from OLD. Inputs are detected: a tar layer (plain or gzip) is
diffed file by file (unchanged files cost a reference, changed files a bsdiff, new files are
compressed); anything else gets one bsdiff. A gzip NEW is rebuilt as the tar it holds.

  -o, --output PATCH   where to write the patch (written to a temp file, renamed when done)
  --format aloft       Aloft's patch (default): verified, streaming apply
  --format bsdiff40    a classic BSDIFF40 patch of the whole files (Debian's bspatch applies it)
  --whole-file         one bsdiff even when both inputs are tars
  --json               print a summary (sizes, seconds, ratio) as JSON on stdout
`;

export async function runCreate(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, {
    output: { type: 'string', short: 'o' },
    format: { type: 'string', default: 'aloft' },
    'whole-file': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length !== 2) throw new UsageError('create takes OLD and NEW');
  if (!values.output) throw new UsageError('create needs -o PATCH');
  const [oldPath, newPath] = positionals;
  if (values.format === 'bsdiff40') {
    const summary = await createClassicPatchFile(oldPath, newPath, values.output);
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else
      process.stdout.write(
        `${values.output}: BSDIFF40, ${humanBytes(summary.patchSize)} (${(summary.ratio * 100).toFixed(2)}% of NEW) in ${summary.seconds.toFixed(2)} s\n`,
      );
    return 0;
  }
  if (values.format !== 'aloft')
    throw new UsageError(`unknown --format '${values.format}' (aloft or bsdiff40)`);
  const bar = progressBar('diffing');
  let summary: ReturnType<typeof createPatchFile>;
  try {
    summary = createPatchFile(oldPath, newPath, values.output, {
      mode: values['whole-file'] ? 'file' : 'auto',
      progress: bar.update,
    });
  } finally {
    bar.done();
  }
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    const s = summary.stats;
    const what =
      s.kind === 'tar'
        ? `tar, ${s.files} files: ${s.referenced} same, ${s.diffed} diffed, ${s.gzip} gzip, ${s.literal} new`
        : 'whole file';
    process.stdout.write(
      `${values.output}: ${humanBytes(summary.patchSize)} (${(summary.ratio * 100).toFixed(2)}% of NEW), ${what}, ${summary.seconds.toFixed(2)} s\n`,
    );
  }
  return 0;
}
