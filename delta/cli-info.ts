import { parseCommandLine, UsageError } from '../sdk/cli/command.js';
import { describePatchFile } from './node/describe.js';
import { humanBytes } from './progress.js';

export const infoHelp = `usage: delta info PATCH [--json]

Shows what a patch holds: its format, the source and target digests and sizes, and how the
target is made (files referenced, diffed, new). Nothing is decompressed but the entry table.
`;

export async function runInfo(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, { json: { type: 'boolean', default: false } });
  if (positionals.length !== 1) throw new UsageError('info takes PATCH');
  const info = await describePatchFile(positionals[0]);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(info)}\n`);
    return 0;
  }
  const lines = [`${positionals[0]}: ${info.format} patch, ${humanBytes(info.patchSize)}`];
  if (info.format === 'aloft') {
    lines.push(
      `  kind      ${info.kind === 'tar' ? 'tar layer, file by file' : 'whole file (one bsdiff)'}`,
      `  source    sha256 ${info.source.sha256} ${info.source.size} bytes${info.source.gzip ? ' (gzip)' : ''}`,
      `  target    sha256 ${info.target.sha256} ${info.target.size} bytes${info.target.gzip ? ' (NEW was gzip: OUT is the uncompressed tar inside it)' : ''}`,
      `  entries   ${info.entries.referenced} same, ${info.entries.diffed} diffed, ${info.entries.gzip} gzip (content diffed), ${info.entries.literal} new; meta ${info.entries.meta}`,
      `  streams   ${Object.entries(info.streams)
        .map(([k, v]) => `${k} ${humanBytes(v.compressedSize)}/${humanBytes(v.rawSize)}`)
        .join(', ')}`,
    );
  } else lines.push(`  target    ${info.target.size} bytes (BSDIFF40 carries no digests)`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
