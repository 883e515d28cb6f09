import { chmod, mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Command, parseCommandLine, UsageError } from '../cli/command.js';
import { TransportError } from './errors.js';
import { generateKeyPairPem } from './key-files.js';

const help = `usage: aloft keygen --out DIR [--name NAME] [--force]

Makes an Ed25519 key pair for signing update manifests (COSE_Sign1, alg EdDSA).

  --out DIR     folder to write NAME.key and NAME.pub into (created if missing)
  --name NAME   file name stem (default: aloft)
  --force       replace an existing pair

NAME.key is PKCS#8 PEM ("PRIVATE KEY", mode 0600): give it to \`aloft publish --key\`.
NAME.pub is SPKI PEM ("PUBLIC KEY"): install it on devices as a trusted key. The key id
printed (8 bytes, hex) is the first 8 bytes of sha256 of the raw 32-byte public key; it
travels in every manifest's protected header.
`;

export const keygenCommand: Command = {
  name: 'aloft keygen',
  summary: 'make an Ed25519 key pair for signing manifests',
  help,
  async run(argv) {
    const { values } = parseCommandLine(
      argv,
      {
        out: { type: 'string' },
        name: { type: 'string', default: 'aloft' },
        force: { type: 'boolean', default: false },
      },
      false,
    );
    if (!values.out) throw new UsageError('keygen needs --out DIR');
    if (!/^[A-Za-z0-9._-]+$/.test(values.name))
      throw new UsageError(`--name '${values.name}' must be a plain file name`);
    const keyPath = join(values.out, `${values.name}.key`);
    const pubPath = join(values.out, `${values.name}.pub`);
    if (!values.force && (await exists(keyPath)))
      throw new TransportError('TRANSPORT_INPUT', `${keyPath} already exists; pass --force to replace it`);
    await mkdir(values.out, { recursive: true });
    const pair = generateKeyPairPem();
    // Temp files renamed into place: never half a key pair on disk.
    await writeFile(`${keyPath}.tmp`, pair.privatePem, { mode: 0o600 });
    await chmod(`${keyPath}.tmp`, 0o600);
    await writeFile(`${pubPath}.tmp`, pair.publicPem);
    await rename(`${keyPath}.tmp`, keyPath);
    await rename(`${pubPath}.tmp`, pubPath);
    process.stdout.write(`${keyPath}\n${pubPath}\nkey id ${pair.kidHex}\n`);
    return 0;
  },
};

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );
