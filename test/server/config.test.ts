// Goal: server configuration is validated once, and each mistake names its flag
// and environment variable. Method: parse flag/env combinations.
import { describe, expect, it } from 'vitest';
import { parseServerConfig, ServerConfigError } from '../../src/server/config.js';

const peers = 'n1=127.0.0.1:7001,n2=127.0.0.1:7002,n3=127.0.0.1:7003';
const base = { id: 'n1', 'data-dir': '/tmp/x', listen: '127.0.0.1:7001', peers };

describe('server config', () => {
  it('parses flags with defaults matching etcd (100 ms heartbeat, 1000 ms election)', () => {
    const c = parseServerConfig(base, {});
    expect(c.peers.map((p) => p.id)).toEqual(['n1', 'n2', 'n3']);
    expect(c).toMatchObject({ tickIntervalMs: 100, heartbeatIntervalMs: 100, electionTimeoutMs: 1000, advertise: '127.0.0.1:7001', join: null });
    expect(c.storeDelayMs).toBe(5);
    expect(parseServerConfig({ ...base, 'store-delay-ms': '0' }, {}).storeDelayMs).toBe(0);
  });

  it('takes EDGERNETES_* variables, flags winning', () => {
    const c = parseServerConfig({ id: 'n2' }, {
      EDGERNETES_ID: 'n1',
      EDGERNETES_DATA_DIR: '/d',
      EDGERNETES_LISTEN: '127.0.0.1:7002',
      EDGERNETES_PEERS: peers,
      EDGERNETES_ELECTION_TIMEOUT_MS: '500',
    });
    expect(c.id).toBe('n2');
    expect(c.dataDir).toBe('/d');
    expect(c.electionTimeoutMs).toBe(500);
  });

  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['missing id', { ...base, id: '' }, /--id \(EDGERNETES_ID\): is required/],
    ['bad id', { ...base, id: 'N 1' }, /--id .*must be 1-63 lowercase/],
    ['bad listen', { ...base, listen: 'localhost' }, /--listen .*"localhost" is not HOST:PORT/],
    ['peer without =', { ...base, peers: 'n1' }, /--peers .*"n1" is not ID=HOST:PORT/],
    ['duplicate peer', { ...base, peers: 'n1=a:1,n1=b:2' }, /appears twice/],
    ['self not in peers', { ...base, peers: 'n2=a:1,n3=b:2' }, /must include this replica's own id "n1"/],
    ['no peers nor join', { id: 'n1', 'data-dir': '/d', listen: 'a:1' }, /--peers .*required unless --join/],
    ['bad number', { ...base, 'election-timeout-ms': '1s' }, /--election-timeout-ms .*"1s" is not a positive integer/],
    ['election <= heartbeat', { ...base, 'election-timeout-ms': '100' }, /greater than --heartbeat-interval-ms/],
    ['heartbeat not multiple of tick', { ...base, 'tick-interval-ms': '30' }, /--heartbeat-interval-ms .*multiple of --tick-interval-ms/],
    ['bad log level', { ...base, 'log-level': 'loud' }, /--log-level .*"loud" is not one of/],
    ['store delay too long', { ...base, 'store-delay-ms': '5000' }, /--store-delay-ms \(EDGERNETES_STORE_DELAY_MS\): "5000" is not an integer from 0 to 1000/],
    ['store delay not a number', { ...base, 'store-delay-ms': '2ms' }, /--store-delay-ms .*"2ms" is not an integer from 0 to 1000/],
  ];
  for (const [name, flags, message] of cases) {
    it(`rejects ${name}`, () => {
      expect(() => parseServerConfig(flags, {})).toThrow(ServerConfigError);
      expect(() => parseServerConfig(flags, {})).toThrow(message);
    });
  }

  it('accepts --join without --peers', () => {
    const c = parseServerConfig({ id: 'n4', 'data-dir': '/d', listen: '127.0.0.1:7004', join: '127.0.0.1:7001' }, {});
    expect(c.join).toBe('127.0.0.1:7001');
    expect(c.peers).toEqual([]);
  });
});
