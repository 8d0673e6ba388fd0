// Core Message → the generated (ts-proto) Message type, the reference the
// hand-written codec is checked against, and a way for tests to craft any
// message the schema allows (including invalid ones) through generated code.
import type { Entry, Message } from '../../../src/raft/core/types.js';
import { Message as ProtoMessage, type Entry as ProtoEntry } from '../../../src/gen/edgernetes/raft/v1/raft.js';
import { entryTypeToProto, messageTypeToProto } from '../../../src/raft/transport/message-types.js';
import { asBuffer } from '../../../src/util/bytes.js';

export function messageToProto(m: Message): ProtoMessage {
  return {
    type: messageTypeToProto(m.type),
    from: m.from,
    to: m.to,
    term: m.term,
    index: m.index,
    logTerm: m.logTerm,
    entries: m.entries.map(entryToProto),
    commit: m.commit,
    reject: m.reject,
    rejectHint: m.rejectHint,
    rejectHintTerm: m.rejectHintTerm,
    context: asBuffer(m.context),
    snapshot:
      m.snapshot === null
        ? undefined
        : {
            index: m.snapshot.metadata.index,
            term: m.snapshot.metadata.term,
            confState: { voters: [...m.snapshot.metadata.confState.voters], learners: [...m.snapshot.metadata.confState.learners] },
          },
  };
}

function entryToProto(e: Entry): ProtoEntry {
  return { term: e.term, index: e.index, type: entryTypeToProto(e.type), data: asBuffer(e.data) };
}

export { ProtoMessage };
