/**
 * `edgernetes server`: one control-plane replica. Every flag also reads an
 * EDGERNETES_* environment variable. SIGTERM/SIGINT: hand leadership over if
 * leader, finish in-flight work, flush, exit 0. A replica removed from the
 * cluster stops itself and exits 78 (see src/server/exit-codes.ts).
 */
import type { Command } from 'commander';
import { pino } from 'pino';
import { parseServerConfig, SERVER_FLAGS, ServerConfigError, envName, type RawServerOptions } from '../server/config.js';
import { EXIT_CODE_FAILED, EXIT_CODE_REMOVED, EXIT_CODES_HELP } from '../server/exit-codes.js';
import { semiSpaceAdvice } from '../server/node-flags.js';
import { Replica } from '../server/replica.js';
import { keepClosedPipeFatal } from './closed-pipe.js';

const FLAG_HELP: Record<(typeof SERVER_FLAGS)[number], string> = {
  id: 'stable id of this replica, e.g. n1',
  'data-dir': 'directory for the WAL and the state machine',
  listen: 'HOST:PORT for clients and peers',
  peers: 'founding members, ID=HOST:PORT,... (including this one)',
  join: 'HOST:PORT of a running replica: join that cluster as a learner',
  advertise: 'HOST:PORT others use to reach this replica (default: --listen)',
  'tick-interval-ms': 'Raft tick (default 100)',
  'heartbeat-interval-ms': 'leader heartbeat interval (default 100)',
  'election-timeout-ms': 'election timeout (default 1000)',
  'snapshot-entries': 'compact the log every N applied entries (default 10000)',
  'store-delay-ms': 'applied writes gather this long into one LevelDB write; live watchers see events up to this late (default 5, 0-1000)',
  'log-level': 'debug|info|warn|error (default info)',
};

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function registerServer(program: Command): void {
  const command = program.command('server').description('run one control-plane replica').addHelpText('after', EXIT_CODES_HELP);
  for (const flag of SERVER_FLAGS) command.option(`--${flag} <value>`, `${FLAG_HELP[flag]} [env ${envName(flag)}]`);
  command.action(async (options: Record<string, string | undefined>) => {
    keepClosedPipeFatal(); // stdout is the replica's log
    const raw: RawServerOptions = {};
    for (const flag of SERVER_FLAGS) raw[flag] = options[camel(flag)];
    let config;
    try {
      config = parseServerConfig(raw);
    } catch (err) {
      if (!(err instanceof ServerConfigError)) throw err;
      process.stderr.write(`edgernetes server: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    const logger = pino({ level: config.logLevel, base: { member: config.id } });
    const advice = semiSpaceAdvice(process.execArgv, process.env.NODE_OPTIONS);
    if (advice !== null) logger.warn(advice);
    let replica: Replica;
    try {
      replica = await Replica.start(config, logger);
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'replica failed to start');
      process.stderr.write(`edgernetes server: ${(err as Error).message}\n`);
      process.exitCode = 1;
      return;
    }
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'stopping');
      replica.stop().then(
        () => process.exit(replica.isRemoved ? EXIT_CODE_REMOVED : 0),
        (err: unknown) => {
          logger.error({ err: (err as Error).message }, 'stop failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
    replica.driver.onFailure((err) => {
      logger.fatal({ err: err.message }, 'replica failed');
      process.exit(EXIT_CODE_FAILED);
    });
    // Stopped itself after learning it was removed (it logged why): a distinct code, so supervisors do not restart it.
    void replica.removed.then(() => process.exit(EXIT_CODE_REMOVED));
  });
}
