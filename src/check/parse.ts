/**
 * JSON Lines → HistoryEvent[]. Each line is validated on its own here (JSON, field names and
 * types); the pairing of invokes with completions is validated by pairOperations. Blank lines are
 * skipped. Events of Jepsen's `"process":"nemesis"` are skipped: they act on the system under
 * test, not on registers.
 */
import { HistoryParseError } from './errors.js';
import { pairOperations } from './pairing.js';
import type { EventType, HistoryEvent, OpFunction, Value } from './types.js';

export interface ParsedHistory {
  readonly events: HistoryEvent[];
  /** lineNumbers[i] is the 1-based line of events[i]. */
  readonly lineNumbers: number[];
}

const EVENT_TYPES: ReadonlySet<string> = new Set<EventType>(['invoke', 'ok', 'fail', 'info']);
const FUNCTIONS: ReadonlySet<string> = new Set<OpFunction>(['read', 'write', 'cas']);

/** Parses and fully validates a history (line shapes and pairing); throws HistoryParseError. */
export function parseHistory(text: string, fileName: string): HistoryEvent[] {
  return parseHistoryLines(text, fileName).events;
}

/** As parseHistory, also returning each event's line (for checkHistory's `lineNumbers`). */
export function parseHistoryLines(text: string, fileName: string): ParsedHistory {
  const events: HistoryEvent[] = [];
  const lineNumbers: number[] = [];
  let start = 0;
  for (let line = 1; start <= text.length; line++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (raw === '') continue;
    const event = parseLine(raw, fileName, line);
    if (event === null) continue;
    events.push(event);
    lineNumbers.push(line);
  }
  pairOperations(events, { fileName, lineNumbers });
  return { events, lineNumbers };
}

function parseLine(raw: string, fileName: string, line: number): HistoryEvent | null {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (cause) {
    throw new HistoryParseError(fileName, line, `invalid JSON: ${(cause as Error).message}`, { cause });
  }
  const fail = (reason: string): never => {
    throw new HistoryParseError(fileName, line, reason);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('an event must be a JSON object');
  const obj = json as Record<string, unknown>;
  if (obj.process === 'nemesis') return null;
  if (!('process' in obj)) fail('missing field "process"');
  if (!Number.isSafeInteger(obj.process)) fail(`"process" must be an integer, got ${show(obj.process)}`);
  if (!('type' in obj)) fail('missing field "type"');
  if (typeof obj.type !== 'string' || !EVENT_TYPES.has(obj.type)) fail(`unknown type ${show(obj.type)}`);
  if (!('f' in obj)) fail('missing field "f"');
  if (typeof obj.f !== 'string' || !FUNCTIONS.has(obj.f)) fail(`unknown f ${show(obj.f)}`);
  const key = parseKey(obj, fail);
  const type = obj.type as EventType;
  const f = obj.f as OpFunction;
  const value = parseValue(obj, type, f, fail);
  const event: Mutable<HistoryEvent> = { process: obj.process as number, type, f, key };
  if (value !== undefined) event.value = value;
  if (f === 'cas' && type === 'ok') {
    if (!('result' in obj)) fail('missing field "result" (an ok cas must say whether it swapped)');
    if (typeof obj.result !== 'boolean') fail(`"result" must be true or false, got ${show(obj.result)}`);
    event.result = obj.result as boolean;
  }
  return event;
}

function parseKey(obj: Record<string, unknown>, fail: (reason: string) => never): string {
  if (!('key' in obj)) fail('missing field "key"');
  const key = obj.key;
  if (typeof key === 'string') return key;
  if (typeof key === 'number' && Number.isSafeInteger(key)) return String(key);
  return fail(`"key" must be a string or an integer, got ${show(key)}`);
}

/** Which events must carry a value, and of what shape. Returns undefined when absent. */
function parseValue(
  obj: Record<string, unknown>,
  type: EventType,
  f: OpFunction,
  fail: (reason: string) => never,
): HistoryEvent['value'] | undefined {
  const present = 'value' in obj && obj.value !== undefined;
  const required = (f !== 'read' && type === 'invoke') || (f === 'read' && type === 'ok');
  if (!present) {
    const what = f === 'cas' ? '[expected, new]' : 'a value';
    if (required) fail(`missing field "value" (${f} ${type} must carry ${what})`);
    return undefined;
  }
  if (f === 'cas') {
    const v = obj.value;
    if (!Array.isArray(v) || v.length !== 2 || !isScalar(v[0]) || !isScalar(v[1])) {
      fail(`cas "value" must be [expected, new] of null, numbers, strings or booleans, got ${show(v)}`);
    }
    return [(v as Value[])[0], (v as Value[])[1]] as const;
  }
  if (!isScalar(obj.value)) fail(`"value" must be null, a number, a string or a boolean, got ${show(obj.value)}`);
  return obj.value as Value;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function isScalar(v: unknown): v is Value {
  if (typeof v === 'number') return Number.isFinite(v);
  return v === null || typeof v === 'string' || typeof v === 'boolean';
}

function show(v: unknown): string {
  const text = v === undefined ? 'nothing' : JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
