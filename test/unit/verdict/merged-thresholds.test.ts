import { describe, expect, it } from 'vitest';
import type { LoadSummary, WindowSummary } from '../../../src/load/summary.js';
import { judgeMergedThresholds } from '../../../src/verdict/merged-thresholds.js';

const WINDOWS = ['baseline', 'fault', 'recovery'];

function window(name: string, w: Partial<WindowSummary>): WindowSummary {
  return {
    window: name,
    requests: 100,
    failed: 0,
    errorRate: 0,
    rps: 10,
    meanMs: 20,
    p50Ms: 15,
    p90Ms: 40,
    p95Ms: 60,
    p99Ms: 90,
    minMs: 2,
    maxMs: 120,
    ...w,
  } as WindowSummary;
}

const summary = {
  windows: [
    window('baseline', {}),
    window('fault', { requests: 200, failed: 6, errorRate: 0.03, p95Ms: 310, rps: 20 }),
    window('recovery', { requests: 0 }),
    window('all', { requests: 300, failed: 6, errorRate: 0.02, p95Ms: 250 }),
  ],
} as LoadSummary;

describe('load.thresholds judged on the merged load (runners)', () => {
  it('judges each expression on its window, in k6 units, with k6 comparison semantics', () => {
    const judged = judgeMergedThresholds(
      {
        http_req_duration: ['p(95)<250', 'p(95)<=250', 'max<1000', 'med<20'],
        'http_req_duration{window:fault}': ['p(95)<250'],
        'http_req_failed{window:baseline}': ['rate<0.01'],
        http_req_failed: ['rate<0.02'],
        'http_reqs{window:fault}': ['count>=200', 'rate>25'],
      },
      summary,
      WINDOWS,
    );
    expect(judged.map((t) => `${t.metric} ${t.expression} ${t.ok}`)).toEqual([
      'http_req_duration p(95)<250 false',
      'http_req_duration p(95)<=250 true',
      'http_req_duration max<1000 true',
      'http_req_duration med<20 true',
      'http_req_duration{window:fault} p(95)<250 false',
      'http_req_failed{window:baseline} rate<0.01 true',
      'http_req_failed rate<0.02 false',
      'http_reqs{window:fault} count>=200 true',
      'http_reqs{window:fault} rate>25 false',
    ]);
  });

  it('a window without requests, or an expression it cannot judge, is never a pass', () => {
    const judged = judgeMergedThresholds(
      { 'http_req_duration{window:recovery}': ['p(95)<250'], http_req_waiting: ['avg<10'] },
      summary,
      WINDOWS,
    );
    expect(judged.map((t) => t.ok)).toEqual([false, false]);
  });
});
