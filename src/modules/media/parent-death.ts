/**
 * MediaMTX must not outlive the gateway, however the gateway ends (SIGKILL, the OOM killer, a
 * crash): an orphan keeps its ports and keeps serving the cameras. Linux can signal a process
 * when its parent dies (prctl PR_SET_PDEATHSIG); MediaMTX, a Go binary we do not change, does not
 * ask for that itself, so it is started through util-linux's `setpriv --pdeathsig KILL`, which
 * sets it and then execs. The setting survives exec, and every step execs, so the process the
 * gateway spawned IS MediaMTX: same pid for the pid file and for stop().
 *
 * A gateway that died in the instant between its fork and setpriv's prctl would go unnoticed (the
 * kernel signals only deaths after the call). A shell between setpriv and MediaMTX closes that
 * gap: it runs after the prctl and goes on only while its parent is still the gateway.
 *
 * Without setpriv (not Linux, or util-linux missing) MediaMTX starts directly; the pid file then
 * remains the only defence, at the next start.
 */
import { findOnPath } from './provision.ts';

export interface LaunchCommand {
  command: string;
  args: string[];
  /** Whether the kernel kills MediaMTX when the gateway dies. */
  diesWithGateway: boolean;
}

/** Exit code of the guard shell when the gateway was already gone: nobody is there to read it. */
const PARENT_GONE_EXIT = 75;
const GUARD_SCRIPT = `[ "$PPID" = "$1" ] || exit ${PARENT_GONE_EXIT}; shift; exec "$@"`;

/** The command that runs `binary args` so that it dies with this process where Linux allows it. */
export function launchCommand(binary: string, args: string[], env = process.env): LaunchCommand {
  const setpriv = process.platform === 'linux' ? findOnPath('setpriv', env) : undefined;
  const shell = process.platform === 'linux' ? (findOnPath('sh', env) ?? '/bin/sh') : undefined;
  if (!setpriv || !shell) return { command: binary, args, diesWithGateway: false };
  return {
    command: setpriv,
    args: [
      '--pdeathsig',
      'KILL',
      '--',
      shell,
      '-c',
      GUARD_SCRIPT,
      'hikbridge-mediamtx',
      String(process.pid),
      binary,
      ...args,
    ],
    diesWithGateway: true,
  };
}
