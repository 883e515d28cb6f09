import { spawn } from 'node:child_process';

/**
 * Compresses with the host's bzip2 (Debian package `bzip2`, see scripts/packages). BSDIFF40
 * needs bzip2 blocks and only the host writes them: the device side decodes in pure TS.
 */
export function bzip2Compress(data: Uint8Array, level = 9): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const child = spawn('bzip2', [`-${level}`, '-c'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', (e) =>
      reject(new Error(`cannot run bzip2 (${e.message}); install it with: apt-get install bzip2`)),
    );
    child.on('close', (status) => {
      if (status === 0) resolve(new Uint8Array(Buffer.concat(chunks)));
      else reject(new Error(`bzip2 exited with status ${status}: ${stderr.trim()}`));
    });
    child.stdin.on('error', () => {}); // a failed child reports through 'close'
    child.stdin.end(data);
  });
}
