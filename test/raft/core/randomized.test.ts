// Goal: no assertion fires and the safety properties hold under random faults,
// and the cluster recovers once faults stop. Method: seeded random schedules
// over the harness (ticks, proposals, message drops, partitions,
// crashes/restarts, compaction, leadership transfer, reads, unreachable
// reports, membership changes); see random-schedule.ts for the checks. A
// failing seed is named in the error and replays exactly with run(seed, ...).
import { describe, it } from 'vitest';
import { run, type ScheduleOptions } from './random-schedule.js';

function seeds(count: number, steps: number, options: ScheduleOptions): void {
  for (let seed = 1; seed <= count; seed++) {
    try {
      run(seed, steps, options);
    } catch (err) {
      throw new Error(`seed ${seed} (${JSON.stringify(options)}): ${(err as Error).stack}`);
    }
  }
}

describe('randomized schedules', () => {
  it('3 voters: 150 seeds of 400 steps', () => seeds(150, 400, { voters: 3, spares: 0 }));
  it('3 voters + 2 spares with membership changes: 150 seeds', () => seeds(150, 400, { voters: 3, spares: 2 }));
  it('5 voters: 60 seeds', () => seeds(60, 400, { voters: 5, spares: 0 }));
});
