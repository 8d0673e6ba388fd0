// Goal: EDGERNETES_TRANSPORT_FAULTS (the testing hook the removal process test
// uses to cut a replica off from its peers) sets exactly the transport fault
// rules it spells, and refuses anything else with an error naming the rule.
// Method: parse strings, apply them to a FaultPoints, read its rules back.
import { describe, expect, it } from 'vitest';
import { nodeId } from '../../src/raft/core/types.js';
import { FaultPoints } from '../../src/raft/transport/index.js';
import { applyTransportFaults, parseTransportFaults, TransportFaultsError } from '../../src/server/transport-faults.js';

describe('EDGERNETES_TRANSPORT_FAULTS', () => {
  it('is empty when unset or blank', () => {
    expect(parseTransportFaults('')).toEqual([]);
    expect(parseTransportFaults(' ; ')).toEqual([]);
  });

  it('sets the rules it spells, per peer and direction', () => {
    const faults = new FaultPoints();
    applyTransportFaults(faults, parseTransportFaults('inbound:n1,n2:blackhole; outbound:n3:delay=150;both:n4:drop=0.25'));
    expect(faults.rule(nodeId('n1'), 'inbound')).toMatchObject({ blackhole: true });
    expect(faults.rule(nodeId('n2'), 'inbound')).toMatchObject({ blackhole: true });
    expect(faults.rule(nodeId('n1'), 'outbound')).toMatchObject({ blackhole: false });
    expect(faults.rule(nodeId('n3'), 'outbound')).toMatchObject({ delayMs: 150, blackhole: false });
    expect(faults.rule(nodeId('n4'), 'inbound')).toMatchObject({ dropProbability: 0.25 });
    expect(faults.rule(nodeId('n4'), 'outbound')).toMatchObject({ dropProbability: 0.25 });
    expect(faults.enabled).toBe(true);
  });

  it('refuses malformed rules, naming them', () => {
    const bad: [string, RegExp][] = [
      ['inbound:n1', /is not DIRECTION:PEER/],
      ['sideways:n1:blackhole', /direction "sideways"/],
      ['inbound:N1:blackhole', /"N1" is not a member id/],
      ['inbound:n1,:blackhole', /"" is not a member id/],
      ['inbound:n1:drop=2', /fault "drop=2"/],
      ['inbound:n1:delay=1.5', /fault "delay=1.5"/],
      ['inbound:n1:delay=', /fault "delay="/],
      ['inbound:n1:slow', /fault "slow"/],
    ];
    for (const [text, message] of bad) {
      expect(() => parseTransportFaults(text), text).toThrow(TransportFaultsError);
      expect(() => parseTransportFaults(text), text).toThrow(message);
    }
    expect(() => parseTransportFaults(Array(65).fill('inbound:n1:blackhole').join(';'))).toThrow(/more than 64 rules/);
  });
});
