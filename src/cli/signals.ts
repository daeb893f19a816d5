/**
 * How the long-running commands (`start`, `sim`) end: SIGINT or SIGTERM runs their clean stop,
 * then the process exits (0 when the stop went well). A second signal while stopping exits at
 * once; a stop that hangs is cut short by a last-resort timer.
 */

/** The gateway stops within its own 5 s deadline; this only catches a stop that hangs. */
const LAST_RESORT_MS = 7000;

export interface StopOnSignalOptions {
  /** Where the "exiting now" notice goes; default stderr. */
  notify?: (line: string) => void;
}

export function stopOnSignal(stop: () => Promise<void>, options: StopOnSignalOptions = {}): void {
  const notify = options.notify ?? ((line: string) => process.stderr.write(`${line}\n`));
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      notify(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    setTimeout(() => process.exit(1), LAST_RESORT_MS).unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        notify(`stopping failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
