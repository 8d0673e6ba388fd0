/**
 * edgectl: the kubectl-like command line of an Edgernetes cluster.
 *
 *   edgectl [--endpoints a,b,c] [-o table|json|yaml] [--timeout 5s] <command>
 *
 * Endpoints come from --endpoints, else EDGECTL_ENDPOINTS, else the local
 * cluster's defaults; calls fail over between them. Each command group lives
 * in its own file and registers itself here. Every expected failure becomes
 * one stderr line `edgectl: ...` and an exit code (see failure.ts).
 */
import { Command, CommanderError, Option } from 'commander';
import { registerApply } from './apply.js';
import { registerCluster } from './cluster.js';
import { registerDeployments } from './deployments.js';
import { describeFailure, EXIT_USAGE } from './failure.js';
import { registerKv } from './kv.js';
import { registerModels } from './models.js';
import { registerNodes } from './nodes.js';
import { OUTPUT_FORMATS } from './output.js';
import { endQuietlyOnClosedPipe } from '../closed-pipe.js';
import { packageVersion } from '../package-root.js';
import { DEFAULT_ENDPOINTS, DEFAULT_TIMEOUT_MS, ENDPOINTS_ENV } from './session.js';


export function buildProgram(): Command {
  const program = new Command('edgectl')
    .description('Control an Edgernetes cluster: its replicas, key-value store, nodes and models')
    .version(packageVersion())
    .option('--endpoints <list>', `replicas to talk to, HOST:PORT,... [env ${ENDPOINTS_ENV}] (default ${DEFAULT_ENDPOINTS})`)
    .addOption(new Option('-o, --output <format>', 'output format').choices([...OUTPUT_FORMATS]).default('table'))
    .option('--timeout <duration>', `bound on each call, failover included (default ${DEFAULT_TIMEOUT_MS / 1000}s)`)
    // Set before subcommands are added so they inherit them: usage errors throw
    // instead of exiting, and are printed as one `edgectl: ...` line.
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`edgectl: ${text.replace(/^error: /, '')}`) });
  registerCluster(program);
  registerKv(program);
  registerNodes(program);
  registerModels(program);
  registerDeployments(program);
  registerApply(program);
  return program;
}

async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; every usage error exits 2.
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    const failure = describeFailure(err);
    if (failure === null) throw err;
    if (failure.line !== '') process.stderr.write(`${failure.line}\n`);
    process.exitCode = failure.exitCode;
  }
}

endQuietlyOnClosedPipe();
await main(process.argv);
