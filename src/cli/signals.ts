/**
 * How the long-running commands (`start`, `sim`) end: SIGINT or SIGTERM runs their clean stop,
 * then the process exits (0 when the stop went well). A stop that hangs is cut short by a
 * last-resort timer, and a second signal while stopping exits at once — unless it is the same
 * stop request arriving twice: Ctrl+C in a terminal signals the whole process group, so under
 * `npm start` the gateway gets SIGINT from the terminal and again from npm, which forwards it.
 *
 * Run by npm or npx, the gateway may also sit below a shell that npm started (`sh -c hikbridge
 * start`). npm forwards SIGTERM to that shell only, and the shell dies without passing it on, so
 * the gateway would be left running, orphaned. When started by a package manager the gateway
 * therefore also stops when its parent process goes away.
 */

/** The gateway stops within its own 5 s deadline; this only catches a stop that hangs. */
const LAST_RESORT_MS = 7000;
/** A repeat this soon after the first signal is the same request delivered twice (see above). */
const REPEAT_GRACE_MS = 1000;
/** How often the parent is checked; its loss is noticed within this time. */
const PARENT_CHECK_MS = 250;

export interface StopOnSignalOptions {
  /** Where notices go; default stderr. */
  notify?: (line: string) => void;
  /** Also stop when the parent process exits; default: when started by npm, npx, yarn or pnpm. */
  watchParent?: boolean;
  lastResortMs?: number;
  repeatGraceMs?: number;
}

export function stopOnSignal(stop: () => Promise<void>, options: StopOnSignalOptions = {}): void {
  const notify = options.notify ?? ((line: string) => process.stderr.write(`${line}\n`));
  const repeatGraceMs = options.repeatGraceMs ?? REPEAT_GRACE_MS;
  let stoppingSince: number | undefined;
  const requestStop = (reason: string) => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < repeatGraceMs) return;
      notify(`${reason} again: exiting now`);
      process.exit(1);
    }
    stoppingSince = Date.now();
    setTimeout(() => process.exit(1), options.lastResortMs ?? LAST_RESORT_MS).unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        notify(`stopping failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', requestStop);
  process.on('SIGTERM', requestStop);
  if (options.watchParent ?? startedByPackageManager()) {
    watchParent(() => {
      notify('the process that started hikbridge has exited: stopping');
      requestStop('parent exit');
    });
  }
}

/** npm, npx, yarn and pnpm all set npm_lifecycle_event for what they run. */
export function startedByPackageManager(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.npm_lifecycle_event !== undefined;
}

/**
 * Calls `onExit` once the parent has gone: an orphan is adopted by init or a subreaper, so its
 * parent pid changes. Polled, because Node offers no parent-death notice.
 */
function watchParent(onExit: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onExit();
  }, PARENT_CHECK_MS);
  // The watch alone must not keep the process alive.
  timer.unref();
}
