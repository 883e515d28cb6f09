/**
 * A piece of the device the agent owns and lends out: the flight controller, a camera, the
 * ground-station link. The bridge routes commands from the current holder only, and the
 * resource's events to the current holder only.
 */
export interface Resource {
  readonly name: string;
  /** A command from the lease holder (already checked to be the holder). */
  command(data: unknown, holder: string): void;
  /** The bridge hands the resource a sink for events; they reach the holder and nobody else. */
  attach(emit: (data: unknown) => void): void;
  /** The holder changed; undefined when the resource is free. */
  holderChanged?(holder: string | undefined): void;
  close?(): void | Promise<void>;
}
