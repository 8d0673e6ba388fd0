/** Terse builders for hand-made histories in tests. */
import type { HistoryEvent, OpFunction, Value } from '../../src/check/types.js';

type CasPair = readonly [Value, Value];

export const invoke = (process: number, f: OpFunction, value: Value | CasPair = null, key = 'r'): HistoryEvent =>
  ({ process, type: 'invoke', f, key, value });
export const ok = (process: number, f: OpFunction, value: Value | CasPair = null, key = 'r'): HistoryEvent =>
  ({ process, type: 'ok', f, key, value });
export const casOk = (process: number, pair: CasPair, result: boolean, key = 'r'): HistoryEvent =>
  ({ process, type: 'ok', f: 'cas', key, value: pair, result });
export const info = (process: number, f: OpFunction, value: Value | CasPair = null, key = 'r'): HistoryEvent =>
  ({ process, type: 'info', f, key, value });
export const fail = (process: number, f: OpFunction, value: Value | CasPair = null, key = 'r'): HistoryEvent =>
  ({ process, type: 'fail', f, key, value });

/** A complete operation: invoke immediately followed by its ok. */
export const write = (process: number, value: Value, key = 'r'): HistoryEvent[] => [invoke(process, 'write', value, key), ok(process, 'write', value, key)];
export const read = (process: number, value: Value, key = 'r'): HistoryEvent[] => [invoke(process, 'read', null, key), ok(process, 'read', value, key)];
export const cas = (process: number, pair: CasPair, result: boolean, key = 'r'): HistoryEvent[] => [invoke(process, 'cas', pair, key), casOk(process, pair, result, key)];

export function toJsonLines(events: readonly HistoryEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n') + '\n';
}
