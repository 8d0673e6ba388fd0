// Goal: malformed histories are rejected with a HistoryParseError naming the file and the line;
// well-formed ones parse, with blank lines and nemesis events skipped and lines counted right.
// Method: one small file text per kind of defect, parsed in process.
import { describe, expect, it } from 'vitest';
import { checkHistory, HistoryParseError, parseHistory, parseHistoryLines } from '../../src/check/index.js';

const W_INVOKE = '{"process":0,"type":"invoke","f":"write","key":"r","value":1}';
const W_OK = '{"process":0,"type":"ok","f":"write","key":"r","value":1}';

function parseError(text: string): HistoryParseError {
  try {
    parseHistory(text, 'h.jsonl');
  } catch (error) {
    if (error instanceof HistoryParseError) return error;
    throw error;
  }
  throw new Error('expected a HistoryParseError');
}

describe('parseHistory', () => {
  const malformed: Array<[string, string, number, RegExp]> = [
    ['bad JSON', `${W_INVOKE}\n{"process":0,`, 2, /invalid JSON/],
    ['not an object', `[1,2]`, 1, /must be a JSON object/],
    ['unknown f', `${W_INVOKE}\n{"process":0,"type":"ok","f":"bogus","key":"r"}`, 2, /unknown f "bogus"/],
    ['unknown type', `{"process":0,"type":"done","f":"write","key":"r","value":1}`, 1, /unknown type "done"/],
    ['missing process', `{"type":"invoke","f":"write","key":"r","value":1}`, 1, /missing field "process"/],
    ['non-integer process', `{"process":1.5,"type":"invoke","f":"read","key":"r"}`, 1, /"process" must be an integer/],
    ['missing key', `{"process":0,"type":"invoke","f":"read"}`, 1, /missing field "key"/],
    ['missing write value', `{"process":0,"type":"invoke","f":"write","key":"r"}`, 1, /missing field "value"/],
    ['missing read value', `{"process":0,"type":"invoke","f":"read","key":"r"}\n{"process":0,"type":"ok","f":"read","key":"r"}`, 2, /missing field "value"/],
    ['missing cas result', `{"process":0,"type":"invoke","f":"cas","key":"r","value":[1,2]}\n{"process":0,"type":"ok","f":"cas","key":"r","value":[1,2]}`, 2, /missing field "result"/],
    ['bad cas value', `{"process":0,"type":"invoke","f":"cas","key":"r","value":[1]}`, 1, /\[expected, new\]/],
    ['object value', `{"process":0,"type":"invoke","f":"write","key":"r","value":{"a":1}}`, 1, /"value" must be null/],
    ['two outstanding', `${W_INVOKE}\n\n${W_INVOKE}`, 3, /process 0 invokes while its write of line 1 is outstanding/],
    ['completion without invoke', W_OK, 1, /no operation outstanding/],
    ['mismatched f', `${W_INVOKE}\n{"process":0,"type":"ok","f":"read","key":"r","value":1}`, 2, /does not match the invoke at line 1/],
    ['mismatched key', `${W_INVOKE}\n{"process":0,"type":"ok","f":"write","key":"s","value":1}`, 2, /of key "s" does not match/],
    ['mismatched value', `${W_INVOKE}\n{"process":0,"type":"ok","f":"write","key":"r","value":2}`, 2, /differs from the invoke/],
  ];
  for (const [name, text, line, reason] of malformed) {
    it(`rejects ${name} at line ${line}`, () => {
      const error = parseError(text);
      expect(error.fileName).toBe('h.jsonl');
      expect(error.line).toBe(line);
      expect(error.message).toMatch(new RegExp(`^h\\.jsonl:${line}: `));
      expect(error.reason).toMatch(reason);
    });
  }

  it('skips blank lines and nemesis events, counting lines as in the file', () => {
    const text = `\n${W_INVOKE}\n{"process":"nemesis","type":"info","f":"start"}\n\r\n${W_OK}\n`;
    const { events, lineNumbers } = parseHistoryLines(text, 'h.jsonl');
    expect(events).toHaveLength(2);
    expect(lineNumbers).toEqual([2, 5]);
    expect(events[0]).toEqual({ process: 0, type: 'invoke', f: 'write', key: 'r', value: 1 });
  });

  it('accepts integer keys, ignores extra fields, and leaves values absent where allowed', () => {
    const text = [
      '{"process":1,"type":"invoke","f":"read","key":7,"time":123}',
      '{"process":1,"type":"ok","f":"read","key":7,"value":null,"index":4}',
      '{"process":2,"type":"invoke","f":"cas","key":"7","value":[null,"x"]}',
      '{"process":2,"type":"ok","f":"cas","key":"7","result":true}',
    ].join('\n');
    const events = parseHistory(text, 'h.jsonl');
    expect(events.map((e) => e.key)).toEqual(['7', '7', '7', '7']);
    expect(events[0].value).toBeUndefined();
    expect(checkHistory(events, { timeoutMs: 1000 }).kind).toBe('linearizable');
  });

  it('lets a process invoke again after an info completion', () => {
    const text = [W_INVOKE, '{"process":0,"type":"info","f":"write","key":"r","value":1}', W_INVOKE, W_OK].join('\n');
    expect(parseHistory(text, 'h.jsonl')).toHaveLength(4);
  });

  it('checks in-memory events too, naming the event number', () => {
    const events = [{ process: 0, type: 'ok', f: 'read', key: 'r', value: 1 }] as const;
    expect(() => checkHistory(events, { timeoutMs: 1000 })).toThrow(/<history>:1: process 0 completes \(ok\) with no operation outstanding/);
  });

  it('rejects an unknown model and a negative timeout', () => {
    expect(() => checkHistory([], { timeoutMs: 1000, model: 'queue' as 'register' })).toThrow(/invalid check option model/);
    expect(() => checkHistory([], { timeoutMs: -1 })).toThrow(/invalid check option timeoutMs/);
  });
});
