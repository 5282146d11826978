import { describe, expect, it } from 'vitest';
import { clientStreamLimit, gatewayStreamCapacity, splitStreams, streamsPerGatewayProcess } from './open-streams-plan';

describe('open streams plan', () => {
  it('fits ~limit/2 streams in one gateway process, in steps of 500', () => {
    // 20,000 descriptors, 1,000 kept back, two per stream: 9,500.
    expect(streamsPerGatewayProcess(20_000)).toBe(9500);
    expect(streamsPerGatewayProcess(1024)).toBe(0);
    expect(streamsPerGatewayProcess(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });

  it('gives a two-process gateway twice the capacity, so 10,000 fit under a 20,000 limit', () => {
    expect(gatewayStreamCapacity(20_000, 2)).toBe(19_000);
    expect(Math.min(10_000, gatewayStreamCapacity(20_000, 2))).toBe(10_000);
    expect(gatewayStreamCapacity(20_000, 0)).toBe(9500);
  });

  it('splits streams evenly over as few client processes as keep each within its share', () => {
    expect(splitStreams(10_000, 5000)).toEqual([5000, 5000]);
    expect(splitStreams(10_001, 5000)).toEqual([3334, 3334, 3333]);
    expect(splitStreams(500, 5000)).toEqual([500]);
    expect(splitStreams(0, 5000)).toEqual([]);
    for (const parts of [splitStreams(9999, 4000), splitStreams(12_345, 5000)]) {
      expect(Math.max(...parts) - Math.min(...parts)).toBeLessThanOrEqual(1);
    }
    expect(splitStreams(12_345, 5000).reduce((sum, part) => sum + part, 0)).toBe(12_345);
    expect(() => splitStreams(10, 0)).toThrow();
  });

  it('keeps a client process within its own limit', () => {
    expect(clientStreamLimit(20_000)).toBe(5000);
    expect(clientStreamLimit(4000)).toBe(3000);
  });
});
