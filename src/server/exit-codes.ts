/**
 * Exit codes of `edgernetes server`, documented in its --help. Supervisors
 * should restart on 1 (a failure) but not on EXIT_CODE_REMOVED: restarting a
 * removed replica only has it stop again (systemd: RestartPreventExitStatus=78).
 */

/** Stopped cleanly on SIGTERM/SIGINT. */
export const EXIT_CODE_STOPPED = 0;
/** Failed to start, or failed while running (storage error, bug). */
export const EXIT_CODE_FAILED = 1;
/** Invalid flags or environment. */
export const EXIT_CODE_USAGE = 2;
/**
 * Removed from the cluster's membership: the replica stopped itself and left
 * its data dir as it was. To add it back, wipe the data dir and start it with
 * --join (78 is EX_CONFIG in sysexits.h: the configuration no longer includes it).
 */
export const EXIT_CODE_REMOVED = 78;

export const EXIT_CODES_HELP = `
Exit codes:
  ${EXIT_CODE_STOPPED}   stopped on SIGTERM/SIGINT (a leader hands leadership over first)
  ${EXIT_CODE_FAILED}   failed to start, or failed while running
  ${EXIT_CODE_USAGE}   invalid flags or environment
  ${EXIT_CODE_REMOVED}  removed from the cluster: this replica learned that its removal committed
      (it applied the change, or an up-to-date peer refused it as a non-member), logged
      "removed from the cluster at configuration index N by WHO; stopping" and stopped.
      Its data dir is left as it was; to add it back, wipe the data dir and start it with
      --join HOST:PORT. Do not restart it as is (systemd: RestartPreventExitStatus=${EXIT_CODE_REMOVED}).
`;
