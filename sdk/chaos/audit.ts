import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditEvent } from './types.js';

type Listener = (line: AuditEvent) => void;

/**
 * Every injection, restoration and decision as a JSON line: appended to a file, kept in a
 * bounded ring for late subscribers, and pushed to GET /events streams.
 */
export class AuditLog {
  private readonly ring: AuditEvent[] = [];
  private readonly listeners = new Set<Listener>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string | undefined,
    private readonly now: () => string = () => new Date().toISOString(),
    private readonly keep = 1000,
  ) {}

  emit(event: Omit<AuditEvent, 'time'>): AuditEvent {
    const line: AuditEvent = { time: this.now(), ...event };
    this.ring.push(line);
    if (this.ring.length > this.keep) this.ring.shift();
    for (const l of this.listeners) l(line);
    const file = this.file;
    if (file)
      this.chain = this.chain
        .then(async () => {
          await mkdir(dirname(file), { recursive: true });
          await appendFile(file, `${JSON.stringify(line)}\n`);
        })
        .catch(() => undefined);
    return line;
  }

  recent(): AuditEvent[] {
    return [...this.ring];
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  flush(): Promise<void> {
    return this.chain;
  }
}
