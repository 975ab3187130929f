/**
 * runPlan over the in-memory cluster, a real ledger file and a load handle the test drives. Sleeps are instant
 * on a fake wall clock (test/fakes/clock.ts), so a 210 s run takes milliseconds; file I/O stays real.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { EnvironmentError, ExitCode } from '../../../src/errors.js';
import { nodeDrain } from '../../../src/faults/node-drain.js';
import { Ledger, replayLedger } from '../../../src/ledger/ledger.js';
import { ingestAll, type RecentLoad } from '../../../src/load/ingest.js';
import type { LoadSummary } from '../../../src/load/summary.js';
import type { Plan } from '../../../src/plan/plan.js';
import { writeReports } from '../../../src/report/index.js';
import { runPlan, type LoadHandle, type LoadOutcome } from '../../../src/run/orchestrator.js';
import { seededRandom } from '../../../src/run/random.js';
import type { ScenarioInput } from '../../../src/scenario/schema.js';
import type { RunResult, ThresholdResult } from '../../../src/verdict/result.js';
import { clock } from '../../fakes/clock.js';
import { apiError, FakeKube, makeDeployment } from '../../fakes/kube.js';
import { makePlan, tempDir } from '../../fakes/scenario.js';
import { recordingOutput } from '../cli/output.js';

vi.mock('node:timers/promises', async (real) =>
  (await import('../../fakes/clock.js')).instantTimers(await real()),
);

// Each phase can be made to throw before or after doing its work: the revert guarantee must hold whichever
// one fails, and whenever.
const sabotage = vi.hoisted(() => {
  const s: { phase: string | null; when: 'before' | 'after' } = { phase: null, when: 'after' };
  return s;
});
vi.mock('../../../src/run/phases.js', async (importOriginal) => {
  const real = await importOriginal<Record<string, (...args: unknown[]) => unknown>>();
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(real)) {
    wrapped[name] = (...args: unknown[]) => {
      const broke = () => new Error(`${name} broke`);
      if (sabotage.phase === name && sabotage.when === 'before') throw broke();
      const result = fn(...args);
      if (sabotage.phase !== name) return result;
      if (result instanceof Promise)
        return result.then(() => {
          throw broke();
        });
      throw broke();
    };
  }
  return wrapped;
});

// The run's contact monitor, driven by the tests: they say when the API server stops and starts answering.
// (The monitor's own checks, spans and threshold: test/unit/adapters/retry.test.ts.)
const contact = vi.hoisted(() => {
  type Span = { from: number; to: number | null };
  class Monitor {
    readonly spans: Span[] = [];
    constructor(readonly opts: { onChange?: (lost: boolean, outage: Span) => void }) {
      contact.current = this;
    }
    start(): void {}
    stop(): void {}
    settle(): Promise<void> {
      return Promise.resolve();
    }
    outages(): Span[] {
      return this.spans.map((s) => ({ ...s }));
    }
    lose(at: number): void {
      const span = { from: at, to: null };
      this.spans.push(span);
      this.opts.onChange?.(true, span);
    }
    answer(at: number): void {
      const span = this.spans.at(-1)!;
      span.to = at;
      this.opts.onChange?.(false, span);
    }
  }
  const contact: { Monitor: typeof Monitor; current: Monitor | null } = { Monitor, current: null };
  return contact;
});
vi.mock('../../../src/observe/contact.js', () => ({ ContactMonitor: contact.Monitor }));

/** The phases in the order the README and src/run/phases.ts document. */
const PHASES = [
  'preflight',
  'steadyStateBefore',
  'startLoad',
  'baseline',
  'inject',
  'faultWindow',
  'triage',
  'revert',
  'recovery',
  'steadyStateAfter',
  'verdict',
] as const;

const T = Date.parse('2026-11-23T15:30:00.000Z');
const tmp = tempDir('chaos-orchestrator-');
afterAll(() => tmp.cleanup());

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T);
  clock.reset();
  sabotage.phase = null;
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const DRAIN: Partial<ScenarioInput> = {
  metadata: { name: 'node-drain' },
  load: { executor: 'constant-arrival-rate', rate: 2 },
  faults: [{ type: 'node-drain', at: '5s' }],
  steadyState: [{ type: 'readyReplicas', min: 2 }],
};

/** A drain at 65 s of the load, then a pod kill at 90 s: a wait inside the fault window, with the node cordoned. */
const DRAIN_THEN_KILL: Partial<ScenarioInput> = {
  ...DRAIN,
  faults: [
    { type: 'node-drain', at: '5s' },
    { type: 'pod-kill', at: '30s', count: 1 },
  ],
};

/** Three scorer replicas, two on worker-2 (the node a drain picks), behind a Deployment and a Service. */
function cluster(): FakeKube {
  const kube = new FakeKube();
  kube.addPods(
    { name: 'fraud-scorer-a', node: 'worker-1' },
    { name: 'fraud-scorer-b', node: 'worker-2' },
    { name: 'fraud-scorer-c', node: 'worker-2' },
  );
  kube.addDeployment(makeDeployment({ name: 'fraud-scorer', replicas: 3 }));
  kube.addService('ml-serving', 'fraud-scorer', { app: 'fraud-scorer' });
  return kube;
}

/** k6 NDJSON as k6/score.ts writes it: `rate` successful requests a second over every window of the plan. */
function loadSummary(plan: Plan, rate: number, untilS = Infinity): LoadSummary {
  const t0 = T + 60_000;
  const ts = (s: number) => new Date(t0 + s * 1000).toISOString().replace('Z', '000000Z');
  const point = (metric: string, s: number, value: number, tags: Record<string, string>) =>
    JSON.stringify({ metric, type: 'Point', data: { time: ts(s), value, tags } });
  const lines: string[] = [];
  for (let i = 0; i < (plan.totalMs / 1000) * rate; i++) {
    const at = (i + 0.5) / rate;
    if (at >= untilS) break;
    const window = plan.windows.find((w) => at * 1000 < w.endMs)!.name;
    const tags = {
      expected_response: 'true',
      method: 'POST',
      payload: 'normal',
      scenario: 'score',
      status: '200',
      window,
    };
    lines.push(
      point('http_reqs', at, 1, tags),
      point('http_req_duration', at, 12, tags),
      point('http_req_failed', at, 0, tags),
      point('chaos_model_version', at, 1, { model_version: 'v1', scenario: 'score', window }),
      point('iterations', at, 1, { scenario: 'score' }),
    );
  }
  return ingestAll(lines.join('\n') + '\n', { windows: plan.k6.windows });
}

/**
 * A LoadHandle the test controls: it starts at once (unless told otherwise), runs until the fake clock passes
 * the end of the fault window (the last wait of a run), and stops with what it measured when cancelled.
 */
class FakeLoad {
  private resolveStarted!: (ms: number) => void;
  private rejectStarted!: (e: unknown) => void;
  private resolveFinished!: (o: LoadOutcome) => void;
  rejectFinished!: (e: unknown) => void;
  readonly started = new Promise<number>((res, rej) => {
    this.resolveStarted = res;
    this.rejectStarted = rej;
  });
  readonly finished = new Promise<LoadOutcome>((res, rej) => {
    this.resolveFinished = res;
    this.rejectFinished = rej;
  });
  startedAt: number | null = null;
  signal: AbortSignal | undefined;
  cancelled = false;
  thresholds: ThresholdResult[] = [];
  /** What startLoad does: 'start' sends the first request at once; 'no-request' ends k6 without one. */
  mode: 'start' | 'no-request' = 'start';
  /** What the load's last seconds look like to a stop condition. */
  recent: (seconds: number) => RecentLoad | null = () => null;

  constructor(private readonly plan: Plan) {}

  outcome(): LoadOutcome {
    return {
      summary: loadSummary(this.plan, 2),
      exitCode: this.thresholds.some((t) => !t.ok) ? 99 : 0,
      error: null,
      scriptError: null,
      ignoredOptions: [],
      thresholds: this.thresholds,
    };
  }

  handle = (_plan: Plan, signal: AbortSignal): LoadHandle => {
    this.signal = signal;
    signal.addEventListener('abort', () => {
      this.cancelled = true;
      this.resolveFinished(this.outcome());
    });
    if (this.mode === 'start') {
      this.startedAt = Date.now();
      this.resolveStarted(this.startedAt);
    } else {
      this.rejectStarted(new EnvironmentError('k6 ended without sending a request'));
      this.resolveFinished({ ...this.outcome(), exitCode: 107, error: 'k6 exited with code 107' });
    }
    return { started: this.started, finished: this.finished, live: () => null, recent: this.recent };
  };

  /** k6 killed (SIGKILL, the OOM killer) `afterS` into the load: what it wrote until then, and no summary. */
  die(afterS: number): void {
    this.resolveFinished({
      ...this.outcome(),
      summary: loadSummary(this.plan, 2, afterS),
      exitCode: null,
      error: 'k6 was killed by SIGKILL',
    });
  }

  /** Called on every fake sleep: k6 ends with the recovery window, right after the fault window's wait. */
  tick(): void {
    if (this.startedAt !== null && Date.now() >= this.startedAt + this.plan.windows[1]!.endMs)
      this.resolveFinished(this.outcome());
  }
}

interface Harness {
  plan: Plan;
  kube: FakeKube;
  load: FakeLoad;
  ledger: Ledger;
  interrupt: AbortController;
  out: ReturnType<typeof recordingOutput>;
  reportDir: string;
  /** Runs on each fake sleep, after the load's own tick. */
  onSleep?: (ms: number) => void;
  run(): Promise<RunResult>;
  openIntents(): number;
}

async function harness(patch: Partial<ScenarioInput> = DRAIN): Promise<Harness> {
  const plan = makePlan(patch);
  const kube = cluster();
  const load = new FakeLoad(plan);
  const id = Math.random().toString(36).slice(2);
  const ledger = await Ledger.create(path.join(tmp.dir, `ledger-${id}.jsonl`));
  const interrupt = new AbortController();
  const out = recordingOutput();
  const h: Harness = {
    plan,
    kube,
    load,
    ledger,
    interrupt,
    out,
    reportDir: mkdirp(path.join(tmp.dir, `report-${id}`)),
    run: async () => {
      try {
        return await runPlan(
          plan,
          {
            kube: kube.asKube(),
            ledger,
            out,
            redact: (s) => s,
            startLoad: load.handle,
            http: {
              status: () => Promise.resolve(200),
              // The sample's /version document; the run picks the version out of it by the scenario's urlField.
              modelVersion: (_url, pick) => Promise.resolve(String(pick({ modelVersion: 'v1', other: 'x' }))),
            },
            random: seededRandom(plan.seed),
          },
          {
            runId: `20261123T153000-${plan.scenario.metadata.name}-${id}`,
            reportDir: h.reportDir,
            interrupt: interrupt.signal,
          },
        );
      } finally {
        await ledger.close();
      }
    },
    openIntents: () => replayLedger(ledger.file, readFileSync(ledger.file, 'utf8')).open.length,
  };
  clock.onSleep = (ms) => {
    load.tick();
    h.onSleep?.(ms);
  };
  return h;
}

/** The run's report directory exists before runPlan starts, as runScenario makes it. */
function mkdirp(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

const cordoned = (kube: FakeKube, node: string) => kube.nodes.get(node)?.spec?.unschedulable === true;
const cordonCalls = (kube: FakeKube) => kube.callsTo('setUnschedulable').map((a) => a[1]);

describe('runPlan', () => {
  it('runs the phases in the documented order and passes a fault the system rode out', async () => {
    const h = await harness();
    // The pod watch reports the target pods once the run watches them (the first wait is inside the run).
    let reported = false;
    h.onSleep = () => {
      if (reported) return;
      reported = true;
      for (const pod of h.kube.pods.values()) h.kube.emit('ADDED', pod, Date.now());
    };
    const r = await h.run();

    expect(
      r.events.filter((e) => e.kind !== 'pod' && e.kind !== 'note').map((e) => `${e.kind}: ${e.message}`),
    ).toEqual([
      'phase: preflight: node-drain against ml-serving (context kind-chaos)',
      'phase: steady state before: ok: deployment fraud-scorer has 3 Ready replica(s) (want ≥ 2)',
      'phase: load: k6 constant-arrival-rate for 210s → http://127.0.0.1:30080/score',
      'phase: baseline window (60s)',
      'phase: fault window',
      'fault: inject node-drain',
      'phase: revert faults; recovery window',
      'revert: uncordoned node worker-2',
      'phase: steady state after: ok: deployment fraud-scorer has 3 Ready replica(s) (want ≥ 2)',
    ]);
    expect(r).toMatchObject({ verdict: 'PASS', exitCode: ExitCode.Pass, reasons: [], thresholds: [] });
    expect(r.faults.map((f) => [f.type, f.confirmed, typeof f.revertedAt])).toEqual([
      ['node-drain', true, 'string'],
    ]);
    expect(r.load?.coverage.every((c) => c.ok)).toBe(true);
    // Pod changes carry their Ready count as data, which the game-day postmortem reads instead of the words.
    const pods = r.events.filter((e) => e.kind === 'pod');
    expect(pods.length).toBeGreaterThan(0);
    for (const e of pods) expect(e.data?.readyPods, e.message).toBe(Number(e.message.split(' ')[0]));
    // Triage ran while the node was still cordoned, before the revert.
    expect(Object.keys(r.artifacts)).toEqual(expect.arrayContaining(['triage-1', 'k6Raw']));
    expect(cordonCalls(h.kube)).toEqual([true, false]);
    expect(cordoned(h.kube, 'worker-2')).toBe(false);
    expect(h.openIntents()).toBe(0);
    expect(h.load.cancelled).toBe(true);
    expect(h.kube.activeWatches).toBe(0);
    // The harness's own health is in every result.
    expect(r.harness?.rss.length).toBeGreaterThanOrEqual(2);
    expect(r.harness?.rssMaxBytes).toBeGreaterThan(0);
    expect(Number.isFinite(r.harness?.eventLoopDelayMs.p99)).toBe(true);
  });

  describe('reverts on an error in every phase', () => {
    it.each(PHASES.flatMap((phase) => (['before', 'after'] as const).map((when) => ({ phase, when }))))(
      '$phase throws $when its work',
      async ({ phase, when }) => {
        const h = await harness();
        sabotage.phase = phase;
        sabotage.when = when;
        await expect(h.run()).rejects.toThrow(`${phase} broke`);

        const at = PHASES.indexOf(phase);
        const injected = at > PHASES.indexOf('inject') || (phase === 'inject' && when === 'after');
        // From the injection on, the run fails with the node cordoned: the finally must uncordon it.
        expect(cordonCalls(h.kube)).toEqual(injected ? [true, false] : []);
        expect(cordoned(h.kube, 'worker-2')).toBe(false);
        expect(h.openIntents()).toBe(0);
        if (at > PHASES.indexOf('startLoad') || (phase === 'startLoad' && when === 'after'))
          expect(h.load.cancelled).toBe(true);
        expect(h.kube.activeWatches).toBe(0);
      },
    );

    it('preflight: the API server refuses to list the targets', async () => {
      const h = await harness();
      h.kube.fail('listPods', apiError(403, 'pods is forbidden'));
      await expect(h.run()).rejects.toThrow('pods is forbidden');
      expect(h.kube.writes).toBe(0);
      expect(h.openIntents()).toBe(0);
    });

    it('load start: k6 ends without sending a request', async () => {
      const h = await harness();
      h.load.mode = 'no-request';
      await expect(h.run()).rejects.toThrow('k6 ended without sending a request');
      expect(h.kube.writes).toBe(0);
      expect(h.kube.activeWatches).toBe(0);
    });

    it('inject: a fault plugin throws half-way through its injection', async () => {
      const h = await harness();
      const realInject = nodeDrain.inject.bind(nodeDrain);
      vi.spyOn(nodeDrain, 'inject').mockImplementation(async (spec, ctx) => {
        await realInject(spec, ctx);
        throw new Error('the drain lost its connection');
      });
      await expect(h.run()).rejects.toThrow('the drain lost its connection');
      // The plugin never returned its injection: only the ledger knew the cordon was there.
      expect(cordonCalls(h.kube)).toEqual([true, false]);
      expect(cordoned(h.kube, 'worker-2')).toBe(false);
      expect(h.openIntents()).toBe(0);
    });

    it('triage: the report directory cannot be written: reverted, then exit 3 naming the path', async () => {
      const h = await harness();
      rmSync(h.reportDir, { recursive: true });
      writeFileSync(h.reportDir, 'not a directory');
      const r = await h.run();
      expect(r).toMatchObject({ verdict: 'INCONCLUSIVE', exitCode: ExitCode.Environment });
      expect(r.reasons).toContainEqual(
        expect.stringMatching(
          new RegExp(`^cannot write triage into the report directory ${h.reportDir}: ENOTDIR`),
        ),
      );
      expect(cordonCalls(h.kube)).toEqual([true, false]);
      expect(h.openIntents()).toBe(0);
    });

    it('recovery: reading the k6 output fails', async () => {
      const h = await harness(DRAIN_THEN_KILL);
      h.onSleep = () => {
        // With the node cordoned: the run reverts at once and the failure surfaces in the recovery phase.
        if (cordoned(h.kube, 'worker-2'))
          h.load.rejectFinished(new EnvironmentError('reading k6 output failed: EIO'));
      };
      await expect(h.run()).rejects.toThrow('reading k6 output failed: EIO');
      expect(cordonCalls(h.kube)).toEqual([true, false]);
      expect(h.openIntents()).toBe(0);
    });
  });

  it('reverts and exits 130 when interrupted in the fault window', async () => {
    const h = await harness();
    h.onSleep = () => {
      if (cordoned(h.kube, 'worker-2')) h.interrupt.abort();
    };
    const r = await h.run();

    expect(r.exitCode).toBe(ExitCode.Interrupted);
    expect(r.verdict).toBe('INCONCLUSIVE');
    expect(r.reasons[0]).toBe('interrupted: load stopped and faults reverted before the windows ended');
    expect(r.faults.map((f) => [f.confirmed, typeof f.revertedAt])).toEqual([[true, 'string']]);
    const phases = r.events.filter((e) => e.kind === 'phase').map((e) => e.message);
    expect(phases).toContain('fault window');
    expect(phases).not.toContain('revert faults; recovery window');
    expect(phases.some((p) => p.startsWith('steady state after'))).toBe(false);
    expect(r.events.filter((e) => e.kind === 'revert').map((e) => e.message)).toEqual([
      'uncordoned node worker-2',
    ]);
    expect(h.load.cancelled).toBe(true);
    expect(cordoned(h.kube, 'worker-2')).toBe(false);
    expect(h.openIntents()).toBe(0);
  });

  describe('the API server stops answering (an outage of 30 s)', () => {
    const refused = () =>
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });

    /**
     * k6 runs on to the end of its windows whatever the API server does; the fake load ends on a sleep past the
     * fault window, and after the early revert nothing sleeps: its end comes once the revert phase is over.
     */
    function loadRunsToItsEnd(h: Harness): { runningAtRevert: boolean | null } {
      const seen = { runningAtRevert: null as boolean | null };
      const info = h.out.info.bind(h.out);
      h.out.info = (line) => {
        info(line);
        if (/ faults reverted [\d.]+ s after contact was lost$/.test(line)) {
          seen.runningAtRevert = h.load.signal?.aborted === false;
          setTimeout(() => {
            vi.setSystemTime(h.load.startedAt! + h.plan.windows[1]!.endMs);
            h.load.tick();
          }, 0);
        }
      };
      return seen;
    }

    it('while a node is drained: nothing more injected, uncordoned as soon as it answers again, the load goes on, INCONCLUSIVE (exit 4) with the time lost', async () => {
      // The drain at 65 s of the load; the pod kill planned at 90 s must never come.
      const h = await harness(DRAIN_THEN_KILL);
      let silentFrom: number | null = null;
      const silent = () => silentFrom !== null && Date.now() < silentFrom + 30_000;
      const fault = h.plan.windows[1]!;
      // Every write and read meets a silent server; once it answers, the load runs on to the end of its windows.
      h.kube.fail('setUnschedulable', () => (silent() ? refused() : undefined));
      const load = loadRunsToItsEnd(h);
      h.kube.fail('listPods', () => (silent() ? refused() : undefined));
      h.onSleep = () => {
        const monitor = contact.current!;
        if (silentFrom === null && cordoned(h.kube, 'worker-2')) {
          silentFrom = Date.now();
          // The monitor says so after its 5 s of silence.
          vi.setSystemTime(silentFrom + 5_000);
          monitor.lose(silentFrom);
        } else if (silentFrom !== null && !silent() && monitor.spans.at(-1)?.to === null)
          monitor.answer(silentFrom + 30_000);
      };
      const r = await h.run();

      expect(silentFrom).not.toBeNull();
      const t0 = h.load.startedAt!;
      expect(h.kube.callsTo('deletePod')).toEqual([]);
      expect(cordonCalls(h.kube).filter((c) => c === true)).toHaveLength(1);
      expect(cordoned(h.kube, 'worker-2')).toBe(false);
      // Reverted within the retry policy's longest pause (2 s) of the answer, not at the window's end (150 s).
      const revert = r.events.find((e) => e.kind === 'revert')!;
      expect(revert.message).toBe('uncordoned node worker-2');
      const answeredT = (silentFrom! + 30_000 - t0) / 1000;
      expect(revert.t).toBeGreaterThanOrEqual(answeredT);
      expect(revert.t!).toBeLessThanOrEqual(answeredT + 2);
      expect(revert.t!).toBeLessThan(fault.endMs / 1000);
      const phases = r.events.filter((e) => e.kind === 'phase').map((e) => e.message);
      expect(phases).toContain(
        'lost contact with the API server: nothing more is injected, every fault is reverted as soon as it answers again, the load goes on',
      );
      expect(phases).toContain('revert faults (lost contact with the API server); recovery window');
      expect(phases).not.toContain('revert faults; recovery window');
      expect(
        r.events.some((e) => /^revert of "cordon node worker-2" waits for the API server/.test(e.message)),
      ).toBe(true);
      // The load was not stopped: it ran to the end of its windows.
      expect(load.runningAtRevert).toBe(true);
      expect(r.faults[0]).toMatchObject({ type: 'node-drain', confirmed: true });
      expect(typeof r.faults[0]!.revertedAt).toBe('string');
      expect(r).toMatchObject({ verdict: 'INCONCLUSIVE', exitCode: ExitCode.Inconclusive });
      expect(r.apiContact).toMatchObject({
        lostS: 30,
        outages: [{ seconds: 30, t: (silentFrom! - t0) / 1000 }],
      });
      expect(r.reasons).toContainEqual(
        expect.stringMatching(/^lost contact with the API server for 30 s \(30 s from t=/),
      );
      expect(h.openIntents()).toBe(0);
    });

    it('in the baseline: no fault is injected at all', async () => {
      const h = await harness();
      loadRunsToItsEnd(h);
      h.onSleep = () => {
        const monitor = contact.current!;
        if (h.load.startedAt !== null && monitor.spans.length === 0) {
          monitor.lose(Date.now());
          monitor.answer(Date.now() + 10_000);
        }
      };
      const r = await h.run();
      expect(cordonCalls(h.kube)).toEqual([]);
      expect(r.events.filter((e) => e.kind === 'fault')).toEqual([]);
      expect(r).toMatchObject({ verdict: 'INCONCLUSIVE', exitCode: ExitCode.Inconclusive });
      expect(r.apiContact?.lostS).toBe(10);
    });

    it('after the revert began: the revert waits for it and goes through, the phase is not run twice', async () => {
      const h = await harness();
      let silentFrom: number | null = null;
      const silent = () => silentFrom !== null && Date.now() < silentFrom + 30_000;
      h.kube.fail('setUnschedulable', (args) => {
        if (args[1] === false && silentFrom === null) {
          silentFrom = Date.now();
          contact.current!.lose(silentFrom);
        }
        return silent() ? refused() : undefined;
      });
      const r = await h.run();
      expect(silentFrom).not.toBeNull();
      expect(cordonCalls(h.kube).filter((c) => c === false).length).toBeGreaterThan(1);
      expect(cordoned(h.kube, 'worker-2')).toBe(false);
      const phases = r.events.filter((e) => e.kind === 'phase').map((e) => e.message);
      expect(phases).toContain('revert faults; recovery window');
      expect(phases.some((p) => p.startsWith('lost contact'))).toBe(false);
      expect(r.events.filter((e) => e.kind === 'revert').map((e) => e.message)).toEqual([
        'uncordoned node worker-2',
      ]);
      expect(r).toMatchObject({ verdict: 'INCONCLUSIVE', exitCode: ExitCode.Inconclusive });
      expect(h.openIntents()).toBe(0);
    });
  });

  describe('INCONCLUSIVE when a fault is not confirmed', () => {
    const POD_KILL: Partial<ScenarioInput> = {
      ...DRAIN,
      metadata: { name: 'pod-kill' },
      faults: [{ type: 'pod-kill', at: '5s', count: 1 }],
    };

    it('the API server denies the delete (403)', async () => {
      const h = await harness(POD_KILL);
      h.kube.fail('deletePod', apiError(403, 'pods "fraud-scorer-a" is forbidden'));
      const r = await h.run();
      expect(r).toMatchObject({ verdict: 'INCONCLUSIVE', exitCode: ExitCode.Inconclusive });
      expect(r.faults[0]).toMatchObject({ confirmed: false, description: 'deleted nothing' });
      expect(r.reasons).toEqual([
        expect.stringMatching(
          /^fault pod-kill not confirmed as applied: deleted nothing; delete fraud-scorer-\w refused \(403\)/,
        ),
      ]);
      expect(h.kube.pods.size).toBe(3);
      expect(h.openIntents()).toBe(0);
    });

    it('the selector matches no pod any more at inject time', async () => {
      const h = await harness(POD_KILL);
      h.onSleep = () => {
        if (h.load.startedAt !== null) h.kube.pods.clear();
      };
      const r = await h.run();
      expect(r).toMatchObject({ verdict: 'INCONCLUSIVE', exitCode: ExitCode.Inconclusive });
      expect(r.faults[0]).toMatchObject({ confirmed: false, targets: [] });
      expect(r.reasons[0]).toMatch(
        /^fault pod-kill not confirmed as applied: deleted nothing; round 1: the selector matched no running pod/,
      );
      expect(h.kube.callsTo('deletePod')).toEqual([]);
    });
  });

  describe('k6 dies mid-run (killed, out of memory)', () => {
    const REPEATED: Partial<ScenarioInput> = {
      ...DRAIN,
      metadata: { name: 'pod-kill' },
      // Rounds at 65 s and 105 s of the load; the fault window ends at 150 s.
      faults: [{ type: 'pod-kill', at: '5s', count: 1, repeat: 2, interval: '40s' }],
    };

    it('between two kills: no second kill, the run stops waiting, INCONCLUSIVE (exit 4) with the reason', async () => {
      const h = await harness(REPEATED);
      let diedAt: number | null = null;
      h.onSleep = () => {
        const t0 = h.load.startedAt;
        if (t0 === null || diedAt !== null || h.kube.callsTo('deletePod').length === 0) return;
        diedAt = Date.now();
        h.load.die((diedAt - t0) / 1000);
      };
      const r = await h.run();
      expect(h.kube.callsTo('deletePod')).toHaveLength(1);
      expect(r).toMatchObject({ verdict: 'INCONCLUSIVE', exitCode: ExitCode.Inconclusive });
      expect(r.reasons).toContain('k6: k6 was killed by SIGKILL');
      // The windows it missed are named, and no SLO judged on them passes.
      expect(r.reasons.some((x) => /recovery window/.test(x))).toBe(true);
      expect(r.slos.filter((s) => s.window !== 'baseline').every((s) => s.verdict !== 'PASS')).toBe(true);
      const said = r.events.find((e) => e.message.startsWith('k6 ended'));
      expect(said?.message).toMatch(
        /^k6 ended 01:45 into the load, before the fault window ended: reverting every fault now$/,
      );
      // No triage and no wait: the run went from k6's death to its verdict without sleeping out the window.
      expect(Object.keys(r.artifacts).some((k) => k.startsWith('triage'))).toBe(false);
      expect(said!.t).toBeLessThan(h.plan.windows[1]!.endMs / 1000);
    });

    it('while a node is drained: uncordoned at once, before the fault window would have ended', async () => {
      // k6 dies while the run waits for the second fault, 60 s before the fault window ends.
      const h = await harness(DRAIN_THEN_KILL);
      let diedAt: number | null = null;
      h.onSleep = () => {
        const t0 = h.load.startedAt;
        if (t0 === null || diedAt !== null || !cordoned(h.kube, 'worker-2')) return;
        diedAt = Date.now();
        h.load.die((diedAt - t0) / 1000);
      };
      const r = await h.run();
      expect(cordonCalls(h.kube)).toEqual([true, false]);
      const revert = r.events.find((e) => e.kind === 'revert');
      expect(revert?.message).toBe('uncordoned node worker-2');
      expect(revert!.t).toBeLessThan(h.plan.windows[1]!.endMs / 1000);
      const events = r.events.filter((e) => e.kind !== 'pod' && e.kind !== 'note').map((e) => e.message);
      expect(events.indexOf('uncordoned node worker-2')).toBe(
        events.findIndex((m) => m.startsWith('k6 ended')) + 1,
      );
      expect(h.kube.callsTo('deletePod')).toEqual([]);
      expect(r).toMatchObject({ verdict: 'INCONCLUSIVE', exitCode: ExitCode.Inconclusive });
      expect(h.openIntents()).toBe(0);
    });

    it('in the baseline: nothing is injected at all', async () => {
      const h = await harness();
      h.onSleep = () => {
        if (h.load.startedAt !== null) h.load.die(30);
      };
      const r = await h.run();
      expect(cordonCalls(h.kube)).toEqual([]);
      expect(r).toMatchObject({ verdict: 'INCONCLUSIVE', exitCode: ExitCode.Inconclusive });
      expect(r.slos.every((s) => s.verdict !== 'PASS')).toBe(true);
    });
  });

  describe('the report directory fills up mid-run (a real 256 KiB tmpfs)', () => {
    let mnt: string;
    beforeAll(() => {
      mnt = mkdtempSync(path.join(tmpdir(), 'chaos-full-'));
      // Root is needed to mount; CI runs as root. A missing mount is a failure, not a skip.
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
    });
    afterAll(() => {
      execFileSync('umount', [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    });

    it('reverts at once, injects nothing more, exit 3 naming the directory; the ledger (kept apart) is closed clean', async () => {
      const h = await harness(DRAIN_THEN_KILL);
      const reportDir = path.join(mnt, 'report');
      mkdirSync(reportDir);
      h.reportDir = reportDir;
      let filled = false;
      h.onSleep = () => {
        if (filled || !cordoned(h.kube, 'worker-2')) return;
        filled = true;
        try {
          writeFileSync(path.join(reportDir, 'k6-raw.ndjson'), Buffer.alloc(1024 * 1024, 'x'));
        } catch {
          // ENOSPC: what k6's output does to a small disk
        }
      };
      const r = await h.run();
      expect(filled).toBe(true);
      expect(r).toMatchObject({ verdict: 'INCONCLUSIVE', exitCode: ExitCode.Environment });
      expect(r.reasons).toContainEqual(
        expect.stringMatching(new RegExp(`^the report directory ${reportDir} is full \\(\\d+ bytes free`)),
      );
      // The drain was undone right away, and the pod kill planned after it never ran.
      expect(cordonCalls(h.kube)).toEqual([true, false]);
      expect(h.kube.callsTo('deletePod')).toEqual([]);
      const revert = r.events.find((e) => e.kind === 'revert');
      expect(revert!.t).toBeLessThan(h.plan.windows[1]!.endMs / 1000);
      expect(h.load.cancelled).toBe(true);
      expect(h.openIntents()).toBe(0);
      // Writing the reports then fails with the disk's own error, which chaos run turns into exit 3.
      await expect(writeReports(reportDir, r)).rejects.toThrow(/ENOSPC/);
    });
  });

  describe('k6 thresholds', () => {
    it('a crossed threshold fails the run like a failed SLO and is in the result', async () => {
      const h = await harness();
      h.load.thresholds = [
        { metric: 'http_req_duration', expression: 'p(95)<250', ok: false },
        { metric: 'http_req_failed', expression: 'rate<0.01', ok: true },
      ];
      const r = await h.run();
      expect(r).toMatchObject({ verdict: 'FAIL', exitCode: ExitCode.Fail, thresholds: h.load.thresholds });
      expect(r.reasons).toEqual(['k6 threshold http_req_duration p(95)<250: crossed (k6 exit 99)']);
      expect(r.slos.map((s) => s.kind)).toEqual(['errorRate']);
    });

    it('thresholds that held leave a PASS a PASS', async () => {
      const h = await harness();
      h.load.thresholds = [{ metric: 'http_req_duration', expression: 'p(95)<250', ok: true }];
      const r = await h.run();
      expect(r).toMatchObject({ verdict: 'PASS', exitCode: ExitCode.Pass, thresholds: h.load.thresholds });
    });
  });
});
