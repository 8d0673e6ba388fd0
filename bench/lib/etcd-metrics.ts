/**
 * An etcd member's raft progress read from its Prometheus metrics
 * (--listen-metrics-urls): whether it has a leader, and its applied and
 * committed raft indexes (etcd 3.4 sets the gauges
 * etcd_server_proposals_applied_total / _committed_total to those indexes).
 *
 * Why metrics and not Status: etcd serves its client URL (Status, Range, its
 * /metrics there too) only once the member has applied its own "publish"
 * entry; the separate metrics listener answers from the moment the server
 * runs, so a member's catch-up can be followed while it does not serve
 * clients yet.
 *
 * Each read opens its own connection (no agent, no keep-alive), so it says
 * how the member is now, not how a kept connection last saw it.
 */
import { get } from 'node:http';
import { EtcdRequestError } from './errors.js';

/** Bound on the text of one metrics page (etcd 3.4's is ~100 KiB). */
const METRICS_BYTES_MAX = 4 << 20;

export interface EtcdRaftMetrics {
  readonly hasLeader: boolean;
  readonly appliedIndex: number;
  readonly committedIndex: number;
}

/** The value of the unlabelled sample `name` in Prometheus text `page`. */
export function metricValue(page: string, name: string): number {
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(page);
  if (match === null) throw new EtcdRequestError(`etcd metrics have no sample ${name}`, undefined);
  const value = Number(match[1]);
  if (!Number.isFinite(value)) throw new EtcdRequestError(`etcd metric ${name} = ${match[1]} is not a number`, undefined);
  return value;
}

/** Parses the raft progress out of a metrics page. */
export function raftMetricsOf(page: string): EtcdRaftMetrics {
  return {
    hasLeader: metricValue(page, 'etcd_server_has_leader') === 1,
    appliedIndex: metricValue(page, 'etcd_server_proposals_applied_total'),
    committedIndex: metricValue(page, 'etcd_server_proposals_committed_total'),
  };
}

/** GET `url` on a new connection; the page's text, or EtcdRequestError within `timeoutMs`. */
function fetchPage(url: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const fail = (why: string, cause?: unknown) =>
      reject(new EtcdRequestError(`GET ${url}: ${why}`, undefined, cause === undefined ? undefined : { cause }));
    const request = get(url, { agent: false, timeout: timeoutMs }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        return fail(`HTTP ${response.statusCode}`);
      }
      const chunks: Buffer[] = [];
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > METRICS_BYTES_MAX) request.destroy(new Error(`page larger than ${METRICS_BYTES_MAX} bytes`));
        else chunks.push(chunk);
      });
      response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      response.on('error', (err) => fail('response failed', err));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (err) => fail(err.message, err));
  });
}

/** The raft progress of the member whose metrics are at `url` (http://HOST:PORT/metrics). */
export async function readEtcdRaftMetrics(url: string, timeoutMs: number): Promise<EtcdRaftMetrics> {
  return raftMetricsOf(await fetchPage(url, timeoutMs));
}
