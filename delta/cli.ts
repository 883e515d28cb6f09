import type { Command } from '../sdk/cli/command.js';
import { UsageError } from '../sdk/cli/command.js';

const help = `usage: delta <create|apply|info> ...   (delta <command> --help for more)

  delta create OLD NEW -o PATCH [--format aloft|bsdiff40] [--json]
  delta apply OLD PATCH -o OUT [--json]
  delta info PATCH [--json]

Container images (docker-save tars, OCI layouts) are detected and diffed layer by layer:
  delta create OLD_IMAGE NEW_IMAGE -o PATCH [--max-ratio R] [--base layer|all] [--json]
  delta apply OLD_IMAGE PATCH -o NEW_IMAGE [--load] [--json]
  delta apply --from-docker IMAGE_REF PATCH [-o NEW_IMAGE] [--load] [--json]

Exit status: 0 success, 1 error (one line on stderr naming the file), 2 usage error.
`;

interface Sub {
  readonly help: string;
  readonly run: (argv: string[]) => Promise<number>;
}

// Loaded on demand: apply on a device must not pay for the native zstd encoder that create uses.
const sub: Record<string, () => Promise<Sub>> = {
  create: async () => {
    const m = await import('./cli-create.js');
    return { help: m.createHelp, run: m.runCreate };
  },
  apply: async () => {
    const m = await import('./cli-apply.js');
    return { help: m.applyHelp, run: m.runApply };
  },
  info: async () => {
    const m = await import('./cli-info.js');
    return { help: m.infoHelp, run: m.runInfo };
  },
};

export const deltaCommand: Command = {
  name: 'delta',
  summary: 'create, apply and inspect binary and container-layer deltas',
  help,
  async run(argv) {
    const [name, ...rest] = argv;
    if (!name) throw new UsageError('no command given (create, apply or info)');
    const load = sub[name];
    if (!load) throw new UsageError(`unknown command '${name}' (create, apply or info)`);
    const command = await load();
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(command.help);
      return 0;
    }
    // apply with a layer or BSDIFF40 patch and no image options skips even loading the image
    // branch: on a device, start-up memory is most of the budget.
    if (name === 'apply' && (await isLayerApply(rest))) return command.run(rest);
    if (name === 'create' && (await isFileCreate(rest))) return command.run(rest);
    // Container images and image patches go to the image branch (delta/node/image), loaded
    // only here so file and layer deltas never pay for it; undefined means "not an image".
    const { routeImageCommand } = await import('./node/image/cli.js');
    const routed = await routeImageCommand(name, rest);
    if (routed !== undefined) return routed;
    return command.run(rest);
  },
};

/**
 * The two positionals of a command line that uses only these options (`valued` take a value,
 * `flags` do not); undefined when any other option is given or there are not exactly two.
 */
function twoPositionals(argv: string[], valued: string[], flags: string[]): [string, string] | undefined {
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (valued.includes(a)) i++;
    else if (flags.includes(a) || valued.some((v) => v.startsWith('--') && a.startsWith(`${v}=`))) continue;
    else if (a.startsWith('-')) return undefined;
    else positionals.push(a);
  }
  return positionals.length === 2 ? [positionals[0], positionals[1]] : undefined;
}

/** `apply OLD PATCH -o OUT [--json]` where PATCH is an Aloft layer/file patch or BSDIFF40. */
async function isLayerApply(argv: string[]): Promise<boolean> {
  const pos = twoPositionals(argv, ['-o', '--output'], ['--json']);
  if (!pos) return false;
  const { patchMagic } = await import('./cli-apply.js');
  const magic = patchMagic(pos[1]);
  return magic === 'ALOFTDLT' || magic === 'BSDIFF40';
}

/**
 * `create OLD NEW -o PATCH [--format F] [--whole-file] [--json]` where OLD or NEW cannot be a
 * container image (so the image branch would hand it back): decided from tar headers alone.
 */
async function isFileCreate(argv: string[]): Promise<boolean> {
  const pos = twoPositionals(argv, ['-o', '--output', '--format'], ['--json', '--whole-file']);
  if (!pos) return false;
  const { mayBeImage } = await import('./node/image-sniff.js');
  return !mayBeImage(pos[0]) || !mayBeImage(pos[1]);
}
