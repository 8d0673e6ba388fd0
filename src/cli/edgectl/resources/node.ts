/**
 * The Node resource as edgectl shows and applies it:
 *
 *   apiVersion: edgernetes.ai/v1
 *   kind: Node
 *   metadata: {name: NODE-ID}
 *   spec: {labels, taints: [{key, value, effect}]}      # what administrators own
 *   status: {displayName, address, condition, reason, timeMs, capabilities}   # what the agent reports
 *
 * Nodes are created by their agents; apply only changes labels and taints of
 * a registered node, and ignores `status` and the revisions in metadata.
 */
import type { Node } from '../../../gen/edgernetes/api/v1/nodes.js';
import type { Rendered } from '../output.js';
import { API_VERSION, bytesText } from './model.js';
import { acceleratorKindWords, nodeConditionWords, taintEffectWords } from './words.js';

export function nodeDocument(n: Node) {
  const c = n.capabilities;
  return {
    apiVersion: API_VERSION,
    kind: 'Node',
    metadata: { name: n.id, createRevision: n.createRevision, modRevision: n.modRevision },
    spec: {
      labels: { ...n.labels },
      taints: n.taints.map((t) => ({ key: t.key, value: t.value, effect: taintEffectWords.word(t.effect) })),
    },
    status: {
      displayName: n.name,
      address: n.address,
      condition: nodeConditionWords.word(n.status?.condition ?? 0),
      reason: n.status?.reason ?? '',
      timeMs: n.status?.timeMs ?? 0,
      capabilities: {
        cpu: { model: c?.cpu?.model ?? '', arch: c?.cpu?.arch ?? '', cores: c?.cpu?.cores ?? 0, flags: [...(c?.cpu?.flags ?? [])] },
        memoryBytes: c?.memoryBytes ?? 0,
        accelerators: (c?.accelerators ?? []).map((a) => ({
          kind: acceleratorKindWords.word(a.kind),
          vendor: a.vendor,
          model: a.model,
          memoryBytes: a.memoryBytes,
          tops: a.tops,
        })),
        executionProviders: [...(c?.executionProviders ?? [])],
        computeScore: c?.computeScore ?? 0,
      },
    },
  };
}

const NODE_HEAD = ['ID', 'NAME', 'ADDRESS', 'STATUS', 'ARCH', 'CORES', 'MEMORY', 'ACCELERATORS', 'SCORE', 'TAINTS'];

function nodeRow(n: Node): string[] {
  const c = n.capabilities;
  const accelerators = (c?.accelerators ?? []).map((a) => `${acceleratorKindWords.word(a.kind)}:${a.model}`);
  return [
    n.id,
    n.name,
    n.address,
    nodeConditionWords.word(n.status?.condition ?? 0) || '-',
    c?.cpu?.arch ?? '-',
    String(c?.cpu?.cores ?? 0),
    bytesText(c?.memoryBytes ?? 0),
    accelerators.length === 0 ? '-' : accelerators.join(','),
    (c?.computeScore ?? 0).toFixed(1),
    String(n.taints.length),
  ];
}

export function nodesView(nodes: readonly Node[], more: boolean): Rendered {
  return {
    document: { apiVersion: API_VERSION, kind: 'List', items: nodes.map(nodeDocument), more },
    table: { head: NODE_HEAD, rows: nodes.map(nodeRow), emptyText: 'No nodes registered.' },
  };
}

export function nodeView(node: Node): Rendered {
  return { document: nodeDocument(node), table: { head: NODE_HEAD, rows: [nodeRow(node)] } };
}
