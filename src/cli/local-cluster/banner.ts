/**
 * What `edgernetes up` tells the user: where the cluster is, how to reach it,
 * and how to stop it. Plain text on stdout; problems go to stderr elsewhere.
 */
import type { StatusResponse } from '../../gen/edgernetes/api/v1/cluster.js';
import { endpoints, replicaLogPath, type ClusterLayout } from './layout.js';

export function startingText(dataDir: string, layout: ClusterLayout, resumed: boolean): string {
  const verb = resumed ? 'resuming the' : 'creating a';
  return `edgernetes up: ${verb} local cluster of ${layout.replicas.length} replica(s) in ${dataDir}\n`;
}

export function readyText(dataDir: string, layout: ClusterLayout, status: StatusResponse): string {
  const list = endpoints(layout).join(',');
  const lines = [
    `edgernetes up: cluster ready, leader ${status.leaderId} (term ${status.term})`,
    '',
    ...layout.replicas.map((slot, i) => `  ${slot.id}  ${endpoints(layout)[i]}  log ${replicaLogPath(dataDir, slot)}`),
    '',
    `Endpoints: ${list}`,
    'Talk to it with:',
    `  edgectl --endpoints ${list} cluster status`,
    `  export EDGECTL_ENDPOINTS=${list}`,
    '',
    `Press Ctrl-C to stop it; run the same command again to resume it from ${dataDir}.`,
  ];
  return `${lines.join('\n')}\n`;
}
