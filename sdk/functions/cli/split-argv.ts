/**
 * Splits `[OPTIONS] IMAGE [ARGS...]` the way `docker run` does: options end at the first word
 * that is not an option or an option's value; everything after IMAGE belongs to the container.
 * `valued` names the options that take a value (long names without dashes, and short letters).
 */
export function splitAtImage(
  argv: string[],
  valued: Set<string>,
): { options: string[]; image?: string; args: string[] } {
  let i = 0;
  while (i < argv.length) {
    const word = argv[i];
    if (word === '--') {
      return { options: argv.slice(0, i), image: argv[i + 1], args: argv.slice(i + 2) };
    }
    if (!word.startsWith('-') || word === '-') break;
    const name = word.startsWith('--') ? word.slice(2) : word.slice(1);
    const takesValue = !name.includes('=') && valued.has(name);
    i += takesValue ? 2 : 1;
  }
  return { options: argv.slice(0, i), image: argv[i], args: argv.slice(i + 1) };
}

/** "KEY=value" pairs from repeated -e options; a bare KEY takes the value from this process, as docker does. */
export function envPairs(list: string[] | undefined, from: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq === 0) throw new RangeError(`--env '${item}' has no name`);
    if (eq < 0) {
      const v = from[item];
      if (v !== undefined) env[item] = v;
    } else env[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return env;
}
