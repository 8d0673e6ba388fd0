/**
 * The edgernetes command line. Each subcommand lives in its own file and registers itself here;
 * this file only builds the program and maps commander's usage errors to exit code 2.
 */
import { Command, CommanderError } from 'commander';
import { EXIT_USAGE, registerCheckHistory } from './check-history.js';
import { endQuietlyOnClosedPipe } from './closed-pipe.js';
import { registerServer } from './server.js';
import { packageVersion } from './package-root.js';
import { registerUp } from './up.js';


const program = new Command('edgernetes')
  .description('High-availability control plane for AI models on edge devices')
  .version(packageVersion())
  // Set before subcommands are added, so they inherit it: usage errors throw instead of exiting.
  .exitOverride();

endQuietlyOnClosedPipe();
registerCheckHistory(program);
registerServer(program);
registerUp(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  // Help and version exit 0; every usage error exits 2 (1 and 3 are verdicts of check-history).
  process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
}
