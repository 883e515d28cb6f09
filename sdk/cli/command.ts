import { type ParseArgsConfig, parseArgs } from 'node:util';
import { errorCode, isUsageError, UsageError } from './errors.js';

/** One CLI command: its help text lives beside its code. `run` resolves to the exit status. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  run(argv: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** util.parseArgs, with its errors turned into UsageError (exit 2) instead of a stack trace. */
export function parseCommandLine<O extends Options>(
  argv: string[],
  options: O,
  allowPositionals = true,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: boolean; strict: true }>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * Runs a command the way every Aloft command ends: exit 0 on success; one line on stderr and
 * exit 1 for an error; the message plus the help's first line and exit 2 for a usage error.
 * Stack traces appear only with ALOFT_DEBUG=1.
 */
export async function runMain(command: Command, argv: string[]): Promise<never> {
  let status: number;
  try {
    if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      process.stdout.write(`${command.help.trimEnd()}\n`);
      status = 0;
    } else {
      status = await command.run(argv);
    }
  } catch (e) {
    if (isUsageError(e)) {
      process.stderr.write(`${command.name}: ${e.message}\n${command.help.split('\n')[0]}\n`);
      status = 2;
    } else {
      const code = errorCode(e);
      const message = e instanceof Error ? e.message : String(e);
      process.stderr.write(
        `${command.name}: ${message}${code && !message.includes(code) ? ` (${code})` : ''}\n`,
      );
      if (process.env.ALOFT_DEBUG === '1' && e instanceof Error) process.stderr.write(`${e.stack}\n`);
      status = 1;
    }
  }
  // Let stdout drain before exiting: a piped `--json` summary must not be cut off.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(status);
}

export { UsageError };
