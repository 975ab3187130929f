import { describe, expect, it } from 'vitest';
import { POSTMORTEM_RULES, UNOWNED, postmortem } from '../../../src/gameday/postmortem/index.js';
import type { RunResult } from '../../../src/verdict/result.js';
import { loadResult, makeGameDay } from '../../fixtures/results/gameday.js';

const NOW = new Date('2026-11-24T09:00:00.000Z');

function at(result: RunResult, t: number): string {
  return new Date(Date.parse(result.loadStartedAt ?? '') + t * 1000).toISOString();
}

function faultOffset(result: RunResult): number {
  return (Date.parse(result.faults[0]?.injectedAt ?? '') - Date.parse(result.loadStartedAt ?? '')) / 1000;
}

describe('postmortem of a game day with one PASS and one FAIL', () => {
  const pass = loadResult('feature-store-latency-pass');
  const fail = loadResult('pod-kill-fail');
  const g = makeGameDay([pass, fail]);
  const pm = postmortem(g, { now: NOW });

  it('names the failed scenario and its failed checks in the title', () => {
    expect(pm.title).toBe(
      'Game day "weekly-ml-serving": 1 of 2 scenarios failed (pod-kill: error-rate-all, error-rate-fault)',
    );
    expect(pm.generatedAt).toBe(NOW.toISOString());
  });

  it('detects at the first breaching second after the kill', () => {
    // The kill lands inside second 16; second 17 is the first with errors: 7 of 40, over both objectives.
    const injected = faultOffset(fail);
    const first = fail.timeline.find((p) => p.t + 1 > injected && p.errors / p.requests >= 0.01);
    expect(first?.t).toBe(17);
    expect(pm.dateTime.detectedAt).toBe(at(fail, 17));
    expect(pm.dateTime.detectedAt).toBe('2026-11-23T17:59:50.717Z');
    const row = pm.dateTime.scenarios.find((s) => s.scenario === 'pod-kill');
    expect(row?.detectionKind).toBe('per-second');
    expect(row?.detectedBy).toContain('error-rate-fault: 7 of 40 requests failed (17.5%), objective < 1%');
    expect(row?.injectedAt).toBe(fail.faults[0]?.injectedAt);
  });

  it('mitigates when Ready pods return to the pre-fault count, since a pod kill has nothing to revert', () => {
    expect(fail.faults[0]?.revertedAt).toBeNull();
    const lastBackToThree = fail.events.filter((e) => e.message === '3 target pod(s) Ready').at(-1);
    expect(pm.dateTime.mitigatedAt).toBe(lastBackToThree?.at);
    expect(pm.dateTime.mitigatedAt).toBe('2026-11-23T18:00:00.528Z');
    expect(pm.dateTime.scenarios[1]?.mitigation).toBe('Ready pods back to the pre-fault count of 3');
  });

  it('resolves at the start of the breach-free tail', () => {
    // Breaching seconds: 0 (baseline warm-up), 17, 18, 27, 28; clean from 29 to the end.
    expect(pm.dateTime.resolvedAt).toBe(at(fail, 29));
    expect(pm.dateTime.summary).toBe(
      'Detected 2026-11-23T17:59:50.717Z in pod-kill (t+17s: error-rate-all: 7 of 40 requests failed (17.5%), ' +
        'objective < 2%; error-rate-fault: 7 of 40 requests failed (17.5%), objective < 1%). ' +
        'Mitigated 2026-11-23T18:00:00.528Z (Ready pods back to the pre-fault count of 3). ' +
        'Resolved 2026-11-23T18:00:02.717Z (no breach from t+29s to the end of the load, 24s).',
    );
    expect(pm.dateTime.rules).toContain(POSTMORTEM_RULES.detection);
  });

  it('counts breach seconds only against checks that failed', () => {
    const [passImpact, failImpact] = pm.impact.scenarios;
    expect(passImpact?.breachSeconds).toBe(0);
    expect(failImpact?.breachSeconds).toBe(5);
    expect(pm.impact.total.breachSeconds).toBe(5);
  });

  it('takes requests, errors and budget from the carried error budget', () => {
    const failImpact = pm.impact.scenarios[1];
    expect(failImpact).toMatchObject({
      scenario: 'pod-kill',
      verdict: 'FAIL',
      requests: fail.errorBudget?.requests,
      errors: fail.errorBudget?.errors,
      errorBudget: { slo: 0.98, consumed: 1.01 },
    });
    expect(pm.impact.total.requests).toBe(2401 + 2121);
    expect(pm.impact.total.errors).toBe(43);
    expect(pm.impact.total.errorBudget).toBe(g.errorBudget);
  });

  it('rates it Sev-2 and says why', () => {
    expect(pm.severity.level).toBe('Sev-2');
    expect(pm.severity.meaning).toBe('Partial degradation with workaround');
    expect(pm.severity.reason).toBe(
      '2 checks failed, but no window reached 50% errors and no run had 5 consecutive seconds in which every request failed.',
    );
    expect(pm.severity.scope).toEqual([
      'pod-kill error-rate-all (all window): 2.027% against < 2%',
      'pod-kill error-rate-fault (fault window): 4.130% against < 1%',
    ]);
    expect(pm.severity.rule).toBe(POSTMORTEM_RULES.severity);
  });

  it('lists the checks that fired with measured value and threshold', () => {
    expect(pm.detection.checks.map((c) => [c.sloId, c.measured, c.threshold, c.firstBreachAt])).toEqual([
      ['error-rate-all', '2.027%', '< 2%', '2026-11-23T17:59:50.717Z'],
      ['error-rate-fault', '4.130%', '< 1%', '2026-11-23T17:59:50.717Z'],
    ]);
  });

  it('cites the failed checks as the root-cause candidate, blamelessly', () => {
    const [first] = pm.rootCauseCandidates;
    expect(first?.rank).toBe(1);
    expect(first?.cause).toContain('Error-rate objective missed after pod-kill (deleted 2 pod(s)');
    expect(first?.sources.map((s) => [s.scenario, s.from, s.at])).toEqual([
      ['pod-kill', 'check error-rate-all', '2026-11-23T17:59:50.717Z'],
      ['pod-kill', 'check error-rate-fault', '2026-11-23T17:59:50.717Z'],
    ]);
    // The passing scenario is not a suspect.
    expect(pm.rootCauseCandidates.flatMap((c) => c.sources).some((s) => s.scenario !== 'pod-kill')).toBe(
      false,
    );
  });

  it('derives contributing factors from the fault record and the baseline window', () => {
    expect(pm.contributingFactors.map((f) => f.factor)).toEqual([
      'The fault took 2 of 3 Ready replicas out of service, leaving 1 to carry the load',
      '5 of 600 requests already failed in the baseline window, before any fault',
    ]);
  });

  it('seeds one owned, dated PDB-and-probes action item per failed check', () => {
    expect(pm.actionItems.map((a) => [a.id, a.scenario, a.sloId])).toEqual([
      ['AI-1', 'pod-kill', 'error-rate-all'],
      ['AI-2', 'pod-kill', 'error-rate-fault'],
    ]);
    for (const item of pm.actionItems) {
      expect(item.action).toContain('readiness and liveness probes');
      expect(item.action).toContain('PodDisruptionBudget');
      expect(item.action).toContain('the fraud-scorer deployment YAML');
      expect(item.basis).toContain(
        '"No liveness probe → Add readiness and liveness probes to deployment YAML"',
      );
      expect(item.owner).toBe('ml-platform-oncall');
      // The game day started 2026-11-23: the template's "Improve: 1 week after".
      expect(item.due).toBe('2026-11-30');
    }
    expect(pm.actionItems[1]?.why).toBe(
      'error-rate-fault (fault window) measured 4.130% against < 1%: 38 of 920 requests failed (4.130%); non-2xx: 503×38',
    );
  });

  it('sorts what went well from what went wrong', () => {
    expect(pm.wentWell).toContain(
      'feature-store-latency: the latency fault was injected at 2026-11-23T16:47:19.415Z and reverted cleanly at 2026-11-23T16:47:48.348Z',
    );
    expect(pm.wentWell).toContain('pod-kill: recovery-time held at 10.55 s (objective ≤ 60s)');
    expect(pm.wentWrong).toEqual([
      'pod-kill: error-rate-all missed its objective at 2.027% against < 2%: 43 of 2121 requests failed (2.027%); non-2xx: 503×43',
      'pod-kill: error-rate-fault missed its objective at 4.130% against < 1%: 38 of 920 requests failed (4.130%); non-2xx: 503×38',
    ]);
  });

  it('merges every event minute by minute with the load of that minute', () => {
    expect(pm.timeline.map((m) => m.minute)).toEqual(['16:47', '16:48', '17:59', '18:00']);
    const entries = pm.timeline.flatMap((m) => m.entries);
    // Every recorded event plus the detected / mitigated / resolved markers.
    expect(entries).toHaveLength(pass.events.length + fail.events.length + 3);
    const times = entries.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const sum = (r: RunResult) => r.timeline.reduce((n, p) => n + p.requests, 0);
    expect(pm.timeline.reduce((n, m) => n + m.requests, 0)).toBe(sum(pass) + sum(fail));
    const m1759 = pm.timeline[2];
    expect(m1759?.worstP95Ms).toBe(20.479);
    expect(m1759?.entries.find((e) => e.kind === 'detected')?.at).toBe('2026-11-23T17:59:50.717Z');
  });

  it('shows the game-day phases with measured inject and respond times', () => {
    expect(pm.phases.map((p) => [p.phase, p.at])).toEqual([
      ['Announce', g.startedAt],
      ['Inject', pass.faults[0]?.injectedAt],
      ['Respond', '2026-11-23T17:59:50.717Z'],
      ['Review', g.finishedAt],
      ['Improve', '2026-11-30'],
    ]);
  });

  it('is pure: same input, same output, input untouched', () => {
    const before = JSON.stringify(g);
    expect(postmortem(g, { now: NOW })).toEqual(pm);
    expect(JSON.stringify(g)).toBe(before);
  });
});

describe('postmortem of an all-PASS game day', () => {
  const pm = postmortem(
    makeGameDay([loadResult('pod-kill-pass'), loadResult('feature-store-latency-pass')]),
    {
      now: NOW,
    },
  );

  it('says no breach was detected instead of inventing times', () => {
    expect(pm.title).toBe('Game day "weekly-ml-serving": all 2 scenarios passed');
    expect(pm.dateTime).toMatchObject({
      breached: false,
      detectedAt: null,
      mitigatedAt: null,
      resolvedAt: null,
    });
    expect(pm.dateTime.summary).toBe('No SLO breach was detected: no check failed in 2 scenarios that ran.');
    expect(pm.dateTime.scenarios.every((s) => s.resolution === 'no SLO breach was detected')).toBe(true);
    expect(pm.detection).toEqual({
      summary: 'No check fired: none of 10 checks failed.',
      checks: [],
      answers: [],
      answersSummary: null,
    });
    expect(pm.impact.answers).toEqual([]);
  });

  it('is Sev-3 with nothing to fix', () => {
    expect(pm.severity.level).toBe('Sev-3');
    expect(pm.severity.reason).toBe('No check failed: 10 checks in 2 scenarios that ran, all passed.');
    expect(pm.rootCauseCandidates).toEqual([]);
    expect(pm.contributingFactors).toEqual([]);
    expect(pm.actionItems).toEqual([]);
    expect(pm.wentWrong).toEqual([]);
    expect(pm.impact.total.breachSeconds).toBe(0);
    expect(pm.phases.find((p) => p.phase === 'Improve')).toEqual({
      phase: 'Improve',
      at: null,
      what: 'No check failed, so no action item is due',
    });
  });
});

describe('postmortem of a game day with a skipped scenario', () => {
  const g = makeGameDay(
    [
      loadResult('pod-kill-fail'),
      { skipped: 'node-drain', reason: 'pod-kill failed and stopOnFailure is set' },
    ],
    { owner: null, stopOnFailure: true },
  );
  const pm = postmortem(g, { now: NOW });

  it('counts the skipped scenario everywhere it matters', () => {
    expect(pm.title).toBe(
      'Game day "weekly-ml-serving": 1 of 2 scenarios failed (pod-kill: error-rate-all, error-rate-fault), 1 skipped',
    );
    expect(pm.wentWrong).toContain('node-drain was skipped: pod-kill failed and stopOnFailure is set');
    expect(pm.impact.notRun).toEqual(['node-drain: pod-kill failed and stopOnFailure is set']);
    expect(pm.impact.scenarios.map((s) => s.scenario)).toEqual(['pod-kill']);
  });

  it('tells an unowned suite how to name an owner', () => {
    expect(UNOWNED).toBe('unowned: set metadata.owner in the suite');
    expect(pm.actionItems.every((a) => a.owner === UNOWNED)).toBe(true);
    expect(pm.phases[0]?.what).toContain(`owner: ${UNOWNED}`);
  });
});

describe('postmortem severity and action-item mapping per scenario', () => {
  it('missing model artifact: Sev-1, mitigated at the revert, version-hash item', () => {
    const r = loadResult('missing-model-artifact-fail');
    const pm = postmortem(makeGameDay([r]), { now: NOW });
    expect(pm.severity.level).toBe('Sev-1');
    expect(pm.severity.scope).toEqual([
      'missing-model-artifact fault window: 53.81% of requests failed (233 of 433)',
      'missing-model-artifact: every request failed for 29 consecutive seconds (t+20s to t+49s, from 2026-11-23T17:29:28.480Z)',
    ]);
    // Ready pods fell to 0 inside second 15: second 16 is the first breach of min-ready-replicas-fault.
    expect(pm.dateTime.detectedAt).toBe(at(r, 16));
    expect(pm.dateTime.mitigatedAt).toBe(r.faults[0]?.revertedAt);
    expect(pm.dateTime.scenarios[0]?.mitigation).toBe('model-version fault reverted');
    expect(pm.actionItems).toHaveLength(3);
    for (const item of pm.actionItems) {
      expect(item.action).toContain('version hash check to the deployment script');
      expect(item.basis).toContain('Model version mismatch');
    }
    const causes = pm.rootCauseCandidates.map((c) => c.cause);
    expect(causes.slice(0, 3)).toEqual([
      'No target pod was Ready, so the Service had nothing to route requests to',
      'Containers crash-looped (CrashLoopBackOff): the serving process exited during start-up',
      'The model artifact could not be loaded at start-up',
    ]);
    const crash = pm.rootCauseCandidates[1]?.sources[0];
    expect(crash).toMatchObject({
      scenario: 'missing-model-artifact',
      from: 'check pod-state-crashloopbackoff',
      at: '2026-11-23T17:29:44.829Z',
    });
  });

  it("node drain: another workload's budget blocking its own pods does not count as the target's", () => {
    const noPdb = 'No PodDisruptionBudget held the drain back';
    const factors = (blocked: string): string[] => {
      const r = loadResult('node-drain-fail');
      r.faults[0]!.description = `cordoned chaos-worker; evicted 5/7 pod(s) (3 under test); ${blocked}`;
      return postmortem(makeGameDay([r]), { now: NOW }).contributingFactors.map((f) => f.factor);
    };
    expect(factors('4 eviction(s) blocked by a PDB (0 of pods under test)')).toContainEqual(
      expect.stringContaining(noPdb),
    );
    expect(factors('4 eviction(s) blocked by a PDB (2 of pods under test)')).not.toContainEqual(
      expect.stringContaining(noPdb),
    );
    // A result from before the count was kept: only the total says anything.
    expect(factors('4 eviction(s) blocked by a PDB')).not.toContainEqual(expect.stringContaining(noPdb));
  });

  it('node drain: self-healing before the uncordon is the mitigation; no PDB is a contributing factor', () => {
    const r = loadResult('node-drain-fail');
    const pm = postmortem(makeGameDay([r]), { now: NOW });
    expect(pm.severity.level).toBe('Sev-2');
    expect(pm.dateTime.detectedAt).toBe(at(r, 17));
    expect(pm.dateTime.mitigatedAt).toBe('2026-11-23T18:02:12.672Z');
    expect(Date.parse(pm.dateTime.mitigatedAt ?? '')).toBeLessThan(Date.parse(r.faults[0]?.revertedAt ?? ''));
    expect(pm.impact.scenarios[0]?.breachSeconds).toBe(4);
    expect(pm.contributingFactors.map((f) => f.factor)).toEqual([
      'No PodDisruptionBudget held the drain back: 5 pods were evicted and no eviction of a pod under test was blocked',
      'All 3 Ready target replicas ran on the drained node chaos-worker: nothing spread them across nodes',
    ]);
    expect(pm.actionItems.map((a) => a.action)).toEqual([
      expect.stringMatching(
        /^Add a PodDisruptionBudget \(minAvailable: 2\) for the fraud-scorer deployment and spread/,
      ),
    ]);
  });

  it('feature-store latency: circuit breaker item; a failed revert is never "reverted cleanly"', () => {
    const r = loadResult('feature-store-latency-fail');
    const pm = postmortem(makeGameDay([r]), { now: NOW });
    expect(pm.actionItems.map((a) => a.sloId)).toEqual(['latency-p95-all', 'latency-p95-fault']);
    expect(pm.actionItems.every((a) => a.action.startsWith('Put a circuit breaker'))).toBe(true);
    expect(pm.wentWell.some((w) => w.includes('reverted cleanly'))).toBe(false);
    expect(
      pm.wentWrong.some((w) => w.startsWith('feature-store-latency: revert failed: latency agent')),
    ).toBe(true);
    expect(pm.contributingFactors[0]?.factor).toBe(
      'A fault revert failed at 2026-11-23T18:12:12.738Z, so the fault could outlast its window',
    );
    // Second 16 breaches and holds the injection (t+16.37s): detection is the injection, never before it.
    expect(pm.dateTime.detectedAt).toBe(r.faults[0]?.injectedAt);
  });

  it('load ramp: no fault, so detection starts with the fault window; autoscaler and probe items', () => {
    const r = loadResult('load-ramp-fail');
    const pm = postmortem(makeGameDay([r]), { now: NOW });
    const faultWindow = r.windows.find((w) => w.window === 'fault');
    expect(pm.dateTime.scenarios[0]?.injectedAt).toBe(at(r, faultWindow?.startOffsetS ?? NaN));
    expect(pm.dateTime.detectedAt).toBe(at(r, 24));
    expect(pm.dateTime.resolvedAt).toBeNull();
    expect(pm.dateTime.summary).toContain('Not resolved within the run in load-ramp.');
    expect(pm.severity.level).toBe('Sev-1');
    expect(pm.actionItems.map((a) => [a.sloId, a.action.split(':')[0]])).toEqual([
      ['latency-p95-all', 'Make the autoscaler react before the p95 breach'],
      ['latency-p95-fault', 'Make the autoscaler react before the p95 breach'],
      ['error-rate-all', 'Make the autoscaler react before the p95 breach'],
      ['restarts', expect.stringContaining('Add readiness and liveness probes') as string],
    ]);
  });

  it('oversize batch: schema-check item; a status-code check has no per-second signal', () => {
    const r = loadResult('oversize-batch-fail');
    const pm = postmortem(makeGameDay([r]), { now: NOW });
    expect(pm.actionItems.every((a) => a.basis.includes('Missing schema validation'))).toBe(true);
    const status = pm.detection.checks.find((c) => c.sloId === 'http-status-oversize-all');
    expect(status).toMatchObject({ firstBreachAt: null, judgedAt: r.finishedAt });
    // A one-second clean tail (k6's last partial second) is not a resolution.
    expect(r.timeline.at(-1)).toMatchObject({ requests: 1, errors: 0 });
    expect(pm.dateTime.resolvedAt).toBeNull();
  });

  it('a failure only the end-of-run evaluation sees is detected when the run was judged', () => {
    const r = loadResult('pod-kill-pass');
    const recovery = r.slos.find((s) => s.id === 'recovery-time');
    if (!recovery) throw new Error('fixture changed');
    Object.assign(recovery, { verdict: 'FAIL', measured: null, evidence: '3 Ready replicas never observed' });
    r.verdict = 'FAIL';
    const pm = postmortem(makeGameDay([r]), { now: NOW });
    expect(pm.dateTime.scenarios[0]).toMatchObject({
      detectionKind: 'end-of-run',
      detectedAt: r.finishedAt,
      detectedBy: 'end-of-run evaluation of recovery-time (no per-second signal)',
      breachSeconds: 0,
    });
    expect(pm.dateTime.summary).toContain('No per-second breach to resolve.');
    expect(pm.severity.level).toBe('Sev-2');
    expect(pm.actionItems[0]?.action).toContain('PodDisruptionBudget');
  });

  it('an unconfirmed fault is Sev-3 with the INCONCLUSIVE reason as a candidate', () => {
    const r = loadResult('feature-store-latency-pass');
    const reason =
      'fault latency not confirmed as applied: delayed nothing: the selector matches no ready pod';
    r.verdict = 'INCONCLUSIVE';
    r.exitCode = 4;
    r.reasons = [reason];
    r.faults = [
      {
        type: 'latency',
        description: 'delayed nothing: the selector matches no ready pod',
        injectedAt: null,
        revertedAt: null,
        confirmed: false,
        targets: [],
        notes: [],
      },
    ];
    const pm = postmortem(makeGameDay([r]), { now: NOW });
    expect(pm.title).toBe('Game day "weekly-ml-serving": no scenario of 1 failed, 1 inconclusive');
    expect(pm.severity.level).toBe('Sev-3');
    expect(pm.dateTime.scenarios[0]?.injection).toBe(
      'fault window began (no fault was confirmed as injected)',
    );
    expect(pm.wentWrong).toEqual([
      'feature-store-latency: the latency fault was not confirmed as applied: delayed nothing: the selector matches no ready pod',
    ]);
    expect(pm.rootCauseCandidates.map((c) => c.cause)).toEqual([
      'The run could not reach a verdict: fault latency not confirmed as applied: delayed nothing: the selector matches no ready pod',
    ]);
  });
});

describe('a fault whose record says it leaves nothing to revert', () => {
  it('went as planned, whatever its kind, and was not "never reverted"', () => {
    const base = loadResult('feature-store-latency-pass');
    const fault = {
      ...base.faults[0]!,
      type: 'scale-to-zero',
      revertedAt: null,
      nothingToRevert: 'the controller scales it back',
    };
    const pm = postmortem(makeGameDay([{ ...base, faults: [fault] }]), { now: NOW });
    expect(pm.wentWell).toContain(
      `feature-store-latency: the scale-to-zero fault was applied at ${fault.injectedAt} as planned (it leaves nothing to revert)`,
    );
    expect(pm.wentWrong.filter((l) => l.includes('never reverted'))).toEqual([]);
    // Without the field, the same record is a fault left in place.
    const { nothingToRevert: _, ...left } = fault;
    const pm2 = postmortem(makeGameDay([{ ...base, faults: [left] }]), { now: NOW });
    expect(pm2.wentWrong).toContain(
      `feature-store-latency: the scale-to-zero fault was applied at ${fault.injectedAt} and never reverted`,
    );
  });
});

describe('postmortem of a game day whose model answered differently', () => {
  const rollout = loadResult('model-rollout-v2-fail');
  const pass = loadResult('pod-kill-pass');
  const pm = postmortem(makeGameDay([pass, rollout]), { now: NOW });

  it('lists the failed answer checks under detection, apart from the service checks', () => {
    expect(pm.detection.answers.map((a) => [a.scenario, a.sloId, a.kind, a.verdict, a.measured])).toEqual([
      ['model-rollout-v2', 'prediction-shift-score-fault', 'predictionShift', 'FAIL', '0.2535'],
      ['model-rollout-v2', 'prediction-agreement-fault', 'predictionAgreement', 'FAIL', '80.00%'],
    ]);
    expect(pm.detection.answersSummary).toBe(
      "2 checks of the model's answers in 1 scenario: 2 failed, 0 could not judge. Only these see wrong answers; " +
        'a request that is answered wrongly still succeeds, so error rates and breach seconds do not count it.',
    );
    // They fired too, and are judged at the end of the run: answers have no per-second signal.
    const fired = pm.detection.checks.filter((c) => c.scenario === 'model-rollout-v2');
    expect(fired.map((c) => [c.sloId, c.firstBreachAt])).toEqual([
      ['prediction-shift-score-fault', null],
      ['prediction-agreement-fault', null],
    ]);
  });

  it("carries the judged window's answers and the baseline's into impact, though no request failed", () => {
    const rolloutImpact = pm.impact.scenarios.find((s) => s.scenario === 'model-rollout-v2');
    expect(rolloutImpact).toMatchObject({ errors: 0, breachSeconds: 0, verdict: 'FAIL' });
    const [shift] = pm.impact.answers;
    expect(shift?.window).toBe('fault');
    expect(shift?.answers).toEqual(rollout.windows.find((w) => w.window === 'fault')?.quality);
    expect(shift?.baseline).toEqual(rollout.windows.find((w) => w.window === 'baseline')?.quality);
  });

  it('lists an answer check that could not judge, and not one that passed', () => {
    const r = loadResult('model-rollout-v2-fail');
    r.slos = r.slos.map((s) =>
      s.id === 'prediction-shift-score-fault'
        ? { ...s, verdict: 'INCONCLUSIVE' as const, measured: null }
        : s.id === 'prediction-agreement-fault'
          ? { ...s, verdict: 'PASS' as const }
          : s,
    );
    const out = postmortem(makeGameDay([r]), { now: NOW });
    expect(out.detection.answers.map((a) => [a.sloId, a.verdict, a.measured])).toEqual([
      ['prediction-shift-score-fault', 'INCONCLUSIVE', 'not measured'],
    ]);
    expect(out.detection.checks).toEqual([]);
    expect(out.detection.answersSummary).toContain('0 failed, 1 could not judge');
    expect(out.impact.answers).toHaveLength(1);
  });

  it('reads an answer check of a result without answers (v1) as not recorded', () => {
    const r = loadResult('model-rollout-v2-fail');
    r.windows = r.windows.map(({ quality: _, ...w }) => w);
    const [first] = postmortem(makeGameDay([r]), { now: NOW }).impact.answers;
    expect(first).toMatchObject({ sloId: 'prediction-shift-score-fault', answers: null, baseline: null });
  });
});
