import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Fault } from './types.js';

export type ContainerAction = 'paused' | 'stopped' | 'killed' | 'restarted';

/** One policy's part in a target: its faults and the container action to undo, if any. */
export interface PolicyRecord {
  faults: Fault[];
  action?: ContainerAction;
}

export interface TargetRecord {
  name: string;
  policies: Record<string, PolicyRecord>;
}

export interface StateFile {
  version: 1;
  targets: Record<string, TargetRecord>;
}

/**
 * The engine's memory of what it broke, written BEFORE each action: after a SIGKILL at any
 * moment the next start finds every target it may have touched and restores it.
 * Written to a temp file and renamed, so a crash never leaves half a file.
 */
export class StateStore {
  private chain: Promise<void> = Promise.resolve();
  constructor(readonly file: string) {}

  async load(): Promise<StateFile> {
    try {
      const s = JSON.parse(await readFile(this.file, 'utf8')) as StateFile;
      if (s.version === 1 && typeof s.targets === 'object' && s.targets) return s;
    } catch {
      // missing or unreadable: the start-up sweep by marks still finds what we left
    }
    return { version: 1, targets: {} };
  }

  save(state: StateFile): Promise<void> {
    const text = `${JSON.stringify(state, null, 1)}\n`;
    this.chain = this.chain.then(async () => {
      await mkdir(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, text);
      await rename(tmp, this.file);
    });
    return this.chain;
  }
}
