import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { keyId, type TrustedKey, toHex, trustedKey } from '../protocol/index.js';
import { TransportError } from './errors.js';

// Key files are standard PEM so that openssl and other tools read them:
//   <name>.key  PKCS#8 "PRIVATE KEY" (Ed25519, RFC 8410), mode 0600
//   <name>.pub  SPKI "PUBLIC KEY"
// The pure verifier takes the raw 32-byte public key; node:crypto converts (via JWK) here.

export interface KeyPairPem {
  readonly privatePem: string;
  readonly publicPem: string;
  readonly kidHex: string;
}

export function generateKeyPairPem(): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
  return {
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }) as string,
    kidHex: toHex(keyId(new Uint8Array(raw))),
  };
}

/** Raw 32-byte Ed25519 secret key from a PKCS#8 PEM file. */
export async function readSecretKey(path: string): Promise<Uint8Array> {
  const pem = await readText(path, 'private key');
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`it is a ${key.asymmetricKeyType} key`);
    return new Uint8Array(Buffer.from(key.export({ format: 'jwk' }).d as string, 'base64url'));
  } catch (e) {
    throw new TransportError(
      'TRANSPORT_KEY_FILE',
      `${path}: not an Ed25519 PKCS#8 private key (${(e as Error).message}); make one with aloft keygen`,
    );
  }
}

/** A trusted public key from an SPKI PEM file, or from the private key file (its public half). */
export async function readPublicKey(path: string): Promise<TrustedKey> {
  const pem = await readText(path, 'public key');
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`it is a ${key.asymmetricKeyType} key`);
    return trustedKey(new Uint8Array(Buffer.from(key.export({ format: 'jwk' }).x as string, 'base64url')));
  } catch (e) {
    throw new TransportError(
      'TRANSPORT_KEY_FILE',
      `${path}: not an Ed25519 public key (${(e as Error).message}); use the .pub file aloft keygen wrote`,
    );
  }
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new TransportError(
      'TRANSPORT_KEY_FILE',
      `${path}: cannot read the ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}
