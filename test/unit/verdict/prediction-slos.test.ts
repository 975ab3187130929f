import { describe, expect, it } from 'vitest';
import { AnswersAcc } from '../../../src/load/answers.js';
import { PodObserver } from '../../../src/observe/pods.js';
import type { ScenarioInput } from '../../../src/scenario/schema.js';
import type { WindowName } from '../../../src/verdict/result.js';
import { judgeSlos, type Observations, type WindowEvidence } from '../../../src/verdict/slo.js';
import { makePlan } from '../../fakes/scenario.js';

type SloInput = NonNullable<ScenarioInput['slos']>[number];

/** The sample's 16 payload rows, each answered `times` times with the given score per row. */
function answers(
  scoreOf: (row: number) => number,
  opts: { times?: number; golden?: boolean } = {},
): AnswersAcc {
  const acc = new AnswersAcc(0, 1);
  const times = opts.times ?? 100;
  for (let t = 0; t < times; t++) {
    for (let row = 0; row < 16; row++) {
      const score = scoreOf(row);
      acc.answer(score, score >= 0.5 ? 'fraud' : 'legit', opts.golden === false ? null : String(row));
    }
  }
  return acc;
}

const HEALTHY = (row: number) => Math.round((((row * 37) % 100) / 100) * 1e6) / 1e6 + 0.004;
// Request-only features: the store's merchant risk is gone, so every score moves up by a lot.
const FALLBACK = (row: number) => Math.min(0.99, HEALTHY(row) + 0.3);

function window(name: WindowName, acc: AnswersAcc): WindowEvidence {
  return {
    window: name,
    startOffsetS: 0,
    endOffsetS: 60,
    requests: 1600,
    failed: 0,
    errorRate: 0,
    rps: 40,
    p50Ms: 10,
    p90Ms: 20,
    p95Ms: 30,
    p99Ms: 40,
    maxMs: 50,
    statusCounts: { '200': 1600 },
    statusByPayload: {},
    modelVersions: {},
    longestGapS: 0,
    answers: acc.summary(),
  };
}

function obs(baseline: AnswersAcc, fault: AnswersAcc): Observations {
  return {
    load: { baseline: window('baseline', baseline), fault: window('fault', fault) },
    pods: new PodObserver(),
    faults: [],
    loadStartMs: 0,
    desiredReplicas: 3,
    versionBefore: 'v1',
    previousLogs: {},
    scaling: null,
    perSecond: [],
  };
}

async function judge(slo: SloInput, o: Observations, labels: string[] | null = null) {
  const plan = makePlan({
    slos: [slo],
    load: { executor: 'constant-arrival-rate', rate: 40, golden: { file: 'golden.json', every: 10 } },
  });
  const withGolden = { ...plan, golden: { file: '/x/golden.json', every: 10, rows: 16, labels } };
  const [r] = await judgeSlos(withGolden, o);
  return r!;
}

describe('predictionShift SLO', () => {
  it('passes when the fault window answers as the baseline did', async () => {
    const r = await judge({ type: 'predictionShift', max: 0.1 }, obs(answers(HEALTHY), answers(HEALTHY)));
    expect(r).toMatchObject({
      id: 'prediction-shift-score-fault',
      window: 'fault',
      verdict: 'PASS',
      measured: 0,
      threshold: 'PSI ≤ 0.1',
    });
    expect(r.evidence).toContain('PSI 0 over 10 score bins (1600 baseline, 1600 fault scores)');
  });

  it('fails when the scores moved, naming the bins that moved most', async () => {
    const r = await judge({ type: 'predictionShift', max: 0.1 }, obs(answers(HEALTHY), answers(FALLBACK)));
    expect(r.verdict).toBe('FAIL');
    expect(r.measured).toBeGreaterThan(1);
    expect(r.evidence).toMatch(/most changed: \[[\d.]+, [\d.]+[)\]] \d+\.\d% → \d+\.\d%/);
  });

  it('judges class shares with on: class', async () => {
    const r = await judge(
      { type: 'predictionShift', max: 0.1, on: 'class' },
      obs(answers(HEALTHY), answers(FALLBACK)),
    );
    expect(r).toMatchObject({ id: 'prediction-shift-class-fault', verdict: 'FAIL' });
    expect(r.evidence).toMatch(/over 2 classes/);
  });

  it('is INCONCLUSIVE with too few answers for the limit, saying how much noise alone gives', async () => {
    const r = await judge(
      { type: 'predictionShift', max: 0.1 },
      obs(answers(HEALTHY, { times: 2 }), answers(HEALTHY, { times: 2 })),
    );
    expect(r.verdict).toBe('INCONCLUSIVE');
    expect(r.evidence).toBe(
      'too few answers for a PSI against 0.1: with 10 bins, 32 baseline and 32 fault scores, sampling noise alone gives about 0.563 (more than a quarter of the limit)',
    );
  });

  it('is INCONCLUSIVE when most responses had no answer', async () => {
    const fault = answers(HEALTHY, { times: 1 });
    fault.missed('path_not_found', 1584);
    const r = await judge({ type: 'predictionShift', max: 0.1 }, obs(answers(HEALTHY), fault));
    expect(r.verdict).toBe('INCONCLUSIVE');
    expect(r.evidence).toMatch(/most responses in the fault window had no answer to judge: 1584 without one/);
  });
});

describe('predictionAgreement SLO', () => {
  it('passes when every golden row answers as in the baseline', async () => {
    const r = await judge(
      { type: 'predictionAgreement', min: '99%' },
      obs(answers(HEALTHY), answers(HEALTHY)),
      Array.from({ length: 16 }, (_, i) => (HEALTHY(i) >= 0.5 ? 'fraud' : 'legit')),
    );
    expect(r).toMatchObject({
      id: 'prediction-agreement-fault',
      verdict: 'PASS',
      measured: '100.00%',
      threshold: '≥ 99% (tolerance 0.01)',
    });
    expect(r.evidence).toContain('1600 of 1600 golden answers agree with the baseline');
    expect(r.evidence).toContain('accuracy against the labels 100.00% (baseline 100.00%)');
  });

  it('fails when rows answer differently, naming the rows and what they changed to', async () => {
    const r = await judge(
      { type: 'predictionAgreement', min: '99%' },
      obs(answers(HEALTHY), answers(FALLBACK)),
    );
    expect(r.verdict).toBe('FAIL');
    expect(r.evidence).toMatch(/^0 of 1600 golden answers agree/);
    expect(r.evidence).toMatch(/16 of 16 rows changed, e\.g\. row \d+: 0\.\d+ \w+ → 0\.\d+ \w+ \(100×\)/);
  });

  it('counts a score within the tolerance as agreeing', async () => {
    const near = (row: number) => HEALTHY(row) + 0.005;
    const r = await judge({ type: 'predictionAgreement', min: '99%' }, obs(answers(HEALTHY), answers(near)));
    expect(r.verdict).toBe('PASS');
    const strict = await judge(
      { type: 'predictionAgreement', min: '99%', tolerance: 0.001 },
      obs(answers(HEALTHY), answers(near)),
    );
    expect(strict.verdict).toBe('FAIL');
  });

  it('is INCONCLUSIVE with fewer golden answers than the minimum can resolve', async () => {
    const r = await judge(
      { type: 'predictionAgreement', min: '99%' },
      obs(answers(HEALTHY), answers(HEALTHY, { times: 5 })),
    );
    expect(r.verdict).toBe('INCONCLUSIVE');
    expect(r.evidence).toBe(
      '80 golden answers in the fault window; at least 100 are needed to judge 99% (one answer must move the share by no more than the 1.00% allowed to differ)',
    );
  });

  it('is INCONCLUSIVE when no golden row was answered in the baseline', async () => {
    const r = await judge(
      { type: 'predictionAgreement', min: '99%' },
      obs(answers(HEALTHY, { golden: false }), answers(HEALTHY)),
    );
    expect(r).toMatchObject({
      verdict: 'INCONCLUSIVE',
      evidence: 'no golden row was answered in the baseline window: nothing to compare with',
    });
  });
});
