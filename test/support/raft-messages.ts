// Shared test builder for raft Message records: a test names the fields it
// cares about (always type, from and to) and gets the neutral value for every
// other one — term 1, index/commit/hints 0, no entries, no rejection, empty
// context, no snapshot — so a new Message field changes one place, not every test.
import { logIndex, term, type Message } from '../../src/raft/core/types.js';

export function raftMessage(fields: Partial<Message> & Pick<Message, 'type' | 'from' | 'to'>): Message {
  return {
    term: term(1),
    index: logIndex(0),
    logTerm: term(0),
    entries: [],
    commit: logIndex(0),
    reject: false,
    rejectHint: logIndex(0),
    rejectHintTerm: term(0),
    context: new Uint8Array(0),
    snapshot: null,
    ...fields,
  };
}
