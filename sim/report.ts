/**
 * How a seed's violation reads on the terminal: the seed, the violation, the
 * command that replays it, and the last events of its trace.
 */
import type { SimOptions } from './params.js';
import type { SeedResult } from './run.js';

export function replayCommand(seed: number, options: SimOptions): string {
  return `npm run sim -- --seed ${seed} --replicas ${options.replicas} --steps ${options.steps}`;
}

export function formatViolation(result: SeedResult, options: SimOptions): string {
  const v = result.violation;
  if (v === null) return '';
  const lines = [
    `VIOLATION seed=${result.seed} replicas=${options.replicas} steps=${options.steps}`,
    `  ${v.kind}: ${v.detail}`,
    `  replay: ${replayCommand(result.seed, options)}`,
    `  last ${result.traceLines.length} events (t in ticks):`,
    ...result.traceLines.map((l) => `    ${l}`),
  ];
  return lines.join('\n');
}

export function formatStats(result: SeedResult): string {
  const s = result.stats;
  const ops = s.operations;
  return (
    `seed ${result.seed}: steps=${s.steps} events=${s.events} messages=${s.messagesSent} dropped=${s.messagesDropped} ` +
    `committed=${s.committedIndex} terms=${s.highestTerm} ops ok=${ops.ok} fail=${ops.fail} info=${ops.info} ` +
    `recovery=${s.recoverySteps} steps digest=${(result.digest >>> 0).toString(16).padStart(8, '0')}\n  ` +
    Object.entries(s.happenings)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')
  );
}
