/** Assignments: proto messages ↔ src/fsm/types.ts. */
import type * as F from '../fsm/index.js';
import { AssignmentState, type Assignment } from '../gen/edgernetes/api/v1/deployments.js';
import { enumMap } from './convert-enums.js';
import { toRef } from './convert-models.js';

export const assignmentStates = enumMap<AssignmentState, F.AssignmentState>(AssignmentState, {
  Pending: AssignmentState.ASSIGNMENT_STATE_PENDING,
  Loading: AssignmentState.ASSIGNMENT_STATE_LOADING,
  Ready: AssignmentState.ASSIGNMENT_STATE_READY,
  Failed: AssignmentState.ASSIGNMENT_STATE_FAILED,
});

export function toAssignment(a: F.Assignment): Assignment {
  return {
    model: toRef(a.model),
    nodeId: a.nodeId,
    state: assignmentStates.toProto(a.state),
    reason: a.reason,
    timeMs: a.timeMs,
    placementTerm: a.placementTerm,
    createRevision: a.createRevision,
    modRevision: a.modRevision,
  };
}
