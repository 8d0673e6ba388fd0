/**
 * Deployments as edgectl shows them: one row per assignment of a model
 * version to a node, with the state its agent reported (Pending, Loading,
 * Ready, Failed) and why.
 */
import type { Assignment } from '../../../gen/edgernetes/api/v1/deployments.js';
import type { Rendered } from '../output.js';
import { API_VERSION } from './model.js';
import { assignmentStateWords } from './words.js';

export function assignmentDocument(a: Assignment) {
  return {
    model: { namespace: a.model?.namespace ?? '', name: a.model?.name ?? '', version: a.model?.version ?? '' },
    nodeId: a.nodeId,
    state: assignmentStateWords.word(a.state),
    reason: a.reason,
    timeMs: a.timeMs,
    placementTerm: a.placementTerm,
    createRevision: a.createRevision,
    modRevision: a.modRevision,
  };
}

/** "12s", "5m", "3h", "2d" since `timeMs` ("-" when unknown). */
export function ageText(timeMs: number, nowMs: number): string {
  if (timeMs <= 0) return '-';
  const seconds = Math.max(0, Math.floor((nowMs - timeMs) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 120 * 60) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 48 * 3600) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

export function assignmentsView(assignments: readonly Assignment[], more: boolean, nowMs: number): Rendered {
  return {
    document: { apiVersion: API_VERSION, kind: 'List', items: assignments.map(assignmentDocument), more },
    table: {
      head: ['NAMESPACE', 'MODEL', 'VERSION', 'NODE', 'STATE', 'AGE', 'REASON'],
      rows: assignments.map((a) => [
        a.model?.namespace ?? '',
        a.model?.name ?? '',
        a.model?.version ?? '',
        a.nodeId,
        assignmentStateWords.word(a.state),
        ageText(a.timeMs, nowMs),
        a.reason === '' ? '-' : a.reason,
      ]),
      emptyText: 'No deployments found.',
    },
  };
}
