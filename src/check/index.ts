/** Public surface of the linearizability checker. */
export { checkHistory } from './check.js';
export { CheckOptionsError, HistoryParseError } from './errors.js';
export { parseHistory, parseHistoryLines, type ParsedHistory } from './parse.js';
export type {
  CheckOptions,
  EventType,
  HistoryEvent,
  ModelName,
  OpFunction,
  Value,
  Verdict,
  WindowOperation,
} from './types.js';
