import { describe, expect, it } from 'vitest';
import { postmortem } from '../../../src/gameday/postmortem/index.js';
import { renderGameDayHtml, renderGameDayMarkdown } from '../../../src/gameday/render.js';
import type { RunResult, SloTraces } from '../../../src/verdict/result.js';
import { loadResult, makeGameDay, type ResultFixture } from '../../fixtures/results/gameday.js';
import { FAILED_1, FAILED_TRACES, SLOW_1, SLOW_2, SLOW_TRACES } from '../report/trace-fixture.js';

const NOW = new Date('2026-11-24T09:00:00.000Z');

/** A fixture run with exemplars attached to the named checks, as src/run/traces.ts attaches them. */
function withTraces(name: ResultFixture, traces: Record<string, SloTraces>): RunResult {
  const r = loadResult(name);
  r.slos = r.slos.map((s) => (traces[s.id] ? { ...s, traces: traces[s.id] } : s));
  return r;
}

function at(result: RunResult, offsetS: number): string {
  return new Date(Date.parse(result.loadStartedAt ?? '') + offsetS * 1000).toISOString();
}

describe('root-cause candidates from trace exemplars', () => {
  it('say where the slowest requests of a failed latency check spent their time, citing the traces', () => {
    // The fault window's slowest requests are the whole load's too: both checks cite them, each trace counts once.
    const r = withTraces('feature-store-latency-fail', {
      'latency-p95-all': SLOW_TRACES,
      'latency-p95-fault': SLOW_TRACES,
    });
    const pm = postmortem(makeGameDay([r]), { now: NOW });
    const causes = pm.rootCauseCandidates.map((c) => c.cause);
    expect(causes).toHaveLength(2);
    expect(causes[0]).toBe(
      'Traces of the 2 slowest requests in the fault window spend 98 % of their time in fraud-scorer › feature-store GET ' +
        '(299 ms of 306 ms in the slowest; traces 4bf92f3577b34da6a3ce929d0e0e4736, c3d4e5f60718293a4b5c6d7e8f901a2b)',
    );
    // The mechanism the failed checks show follows the traces that locate it.
    expect(causes[1]).toMatch(/^Latency objective missed after latency/);
    expect(pm.rootCauseCandidates[0]?.sources).toEqual([
      {
        scenario: 'feature-store-latency',
        at: at(r, 43.2),
        from: `trace ${SLOW_1} of latency-p95-all, latency-p95-fault`,
        text: '306.4 ms, status 200; where the time went: fraud-scorer › feature-store GET 299 ms of 306 ms (98 %)',
      },
      {
        scenario: 'feature-store-latency',
        at: at(r, 51.7),
        from: `trace ${SLOW_2} of latency-p95-all, latency-p95-fault`,
        text: '298.9 ms, status 200; where the time went: fraud-scorer › feature-store GET 288 ms of 295 ms (98 %)',
      },
    ]);
  });

  it('one trace: its own numbers, as in the run evidence', () => {
    const one: SloTraces = { ...SLOW_TRACES, exemplars: SLOW_TRACES.exemplars.slice(0, 1) };
    const r = withTraces('feature-store-latency-fail', { 'latency-p95-fault': one });
    const [first] = postmortem(makeGameDay([r]), { now: NOW }).rootCauseCandidates;
    expect(first?.cause).toBe(
      'The trace of the slowest request in the fault window spends 299 ms of 306 ms (98 %) in ' +
        'fraud-scorer › feature-store GET (trace 4bf92f3577b34da6a3ce929d0e0e4736)',
    );
  });

  it('name the span where a failed request’s error started', () => {
    const r = withTraces('pod-kill-fail', { 'error-rate-fault': FAILED_TRACES });
    const pm = postmortem(makeGameDay([r]), { now: NOW });
    const [first, second] = pm.rootCauseCandidates;
    expect(first?.cause).toBe(
      'The trace of a failed request in the fault window shows the error starting in ' +
        'feature-store › GET /features (connection refused) (trace 0af7651916cd43dd8448eb211c80319c)',
    );
    expect(first?.sources).toEqual([
      {
        scenario: 'pod-kill',
        at: at(r, 41.3),
        from: `trace ${FAILED_1} of error-rate-fault`,
        text:
          '12.9 ms, status 503; where the time went: fraud-scorer › POST /score 8 ms of 12 ms (66 %); ' +
          'error in feature-store › GET /features (connection refused)',
      },
    ]);
    expect(second?.cause).toMatch(/^Error-rate objective missed after pod-kill/);
  });

  it('rank after what Kubernetes reported and before the mechanism of the failed checks', () => {
    const plain = postmortem(makeGameDay([loadResult('missing-model-artifact-fail')]), { now: NOW });
    const r = withTraces('missing-model-artifact-fail', { 'error-rate-fault': FAILED_TRACES });
    const pm = postmortem(makeGameDay([r]), { now: NOW });
    const causes = pm.rootCauseCandidates.map((c) => c.cause);
    const signs = plain.rootCauseCandidates.filter(
      (c) => !/objective missed after|^The run could not reach|could not be measured/.test(c.cause),
    );
    expect(signs.length).toBeGreaterThan(0);
    // The signs keep their places; the trace candidate comes right after them; everything else follows as before.
    expect(causes.slice(0, signs.length)).toEqual(signs.map((c) => c.cause));
    expect(causes[signs.length]).toMatch(/^The trace of a failed request .* feature-store › GET \/features/);
    expect(causes.filter((_, i) => i !== signs.length)).toEqual(
      plain.rootCauseCandidates.map((c) => c.cause),
    );
    expect(pm.rootCauseCandidates.map((c) => c.rank)).toEqual(causes.map((_, i) => i + 1));
  });

  it('come only from failed checks with exemplars', () => {
    const base = postmortem(makeGameDay([loadResult('pod-kill-fail')]), { now: NOW }).rootCauseCandidates;
    // A passing check's traces, and a failed one whose backend did not answer, add nothing.
    const r = withTraces('pod-kill-fail', {
      'latency-p95-all': SLOW_TRACES,
      'error-rate-fault': { cause: 'failed', exemplars: [], missing: [], problem: 'backend down' },
    });
    expect(postmortem(makeGameDay([r]), { now: NOW }).rootCauseCandidates).toEqual(base);
  });

  it('reach the rendered postmortem', () => {
    const g = makeGameDay([withTraces('feature-store-latency-fail', { 'latency-p95-fault': SLOW_TRACES })]);
    const md = renderGameDayMarkdown(g);
    expect(md).toContain('spend 98 % of their time in fraud-scorer › feature-store GET');
    expect(md).toContain(`trace ${SLOW_1} of latency-p95-fault at ${at(g.scenarios[0]!.result!, 43.2)}`);
    expect(renderGameDayHtml(g)).toContain(
      'traces 4bf92f3577b34da6a3ce929d0e0e4736, c3d4e5f60718293a4b5c6d7e8f901a2b',
    );
  });
});
