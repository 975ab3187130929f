/**
 * The load as N k6 pods (load.runners): created after their undo is in the ledger, started paused and released
 * together through k6's REST API (via the API server's pod proxy: the host reaches the cluster through nothing
 * else), their output streamed back while they run (agent.ts) into one ingest per runner on one common clock,
 * and merged exactly at the end (K6Ingest.merged). Stopped and deleted on every exit.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiStatus, type Kube, type Pod } from '../adapters/kube.js';
import { EnvironmentError } from '../errors.js';
import type { Ledger, UndoRecord } from '../ledger/ledger.js';
import { K6Ingest, type LiveStats, type RecentLoad } from '../load/ingest.js';
import type { LoadSummary } from '../load/summary.js';
import { SecondTimeline } from '../load/timeline.js';
import type { WindowSpec } from '../load/windows.js';
import type { RunnerRecord } from '../verdict/result.js';
import { AGENT_PORT, K6_API_PORT } from './agent.js';
import { executionSegments, runnerNames, runnerObjects, type RunnerObjectsInput } from './manifests.js';

export const RUNNERS_UNDO = 'runners';

export interface RunnersOptions extends Omit<RunnerObjectsInput, 'runId'> {
  kube: Kube;
  ledger: Ledger;
  runId: string;
  windows: readonly WindowSpec[];
  scoreRange?: readonly [number, number];
  /** Each runner's raw NDJSON is kept here as k6-raw-<pod>.ndjson. */
  outDir: string;
  signal: AbortSignal;
  log: (line: string) => void;
  /** How long the pods may take to run and answer. Default 120 s. */
  readyTimeoutMs?: number;
  pollMs?: number;
}

export interface RunnersOutcome {
  summary: LoadSummary;
  runners: RunnerRecord[];
  /** Why the merged load is partial (a runner whose stream ended early or whose count does not match), or null. */
  problem: string | null;
  cancelled: boolean;
  /** Release moment: the common clock zero (epoch ms). */
  startMs: number | null;
  /** Spread of the runners' first requests, ms. */
  skewMs: number | null;
  files: string[];
}

export interface RunnersRun {
  started: Promise<number>;
  finished: Promise<RunnersOutcome>;
  live(): LiveStats | null;
  /** The merged load of the last complete seconds (stop conditions): every runner feeds the shared timeline. */
  recent(seconds: number): RecentLoad | null;
}

interface Runner {
  pod: string;
  segment: string;
  node: string | null;
  ingest: K6Ingest;
  offset: number;
  raw: WriteStream;
  rawFile: string;
  done: boolean;
  dead: string | null;
  exit: { code: number | null; signal: string | null } | null;
  k6Requests: number | null;
}

/** What the ledger keeps to delete one run's runners, by `chaos recover` if the harness died. */
export interface RunnersUndo extends UndoRecord {
  fault: typeof RUNNERS_UNDO;
  v: 1;
  namespace: string;
  configMap: string;
  /** The Secret with load.secretEnv's values; absent when the run had none (and in records before it existed). */
  secret?: string;
  pods: string[];
}

/** Deletes runner pods, their ConfigMap and their Secret; those already gone count as deleted. */
export async function undoRunners(undo: UndoRecord, kube: Kube): Promise<string> {
  const u = undo as RunnersUndo;
  const gone = (e: unknown): void => {
    if (apiStatus(e).code !== 404) throw e;
  };
  await Promise.all(u.pods.map((p) => kube.deletePod(u.namespace, p, 0).catch(gone)));
  await kube.deleteConfigMap(u.namespace, u.configMap).catch(gone);
  if (u.secret) await kube.deleteSecret(u.namespace, u.secret).catch(gone);
  return `deleted runner pods ${u.pods.join(', ')}, ConfigMap ${u.configMap}${u.secret ? ` and Secret ${u.secret}` : ''} in ${u.namespace}`;
}

export function startRunners(opts: RunnersOptions): RunnersRun {
  const { kube, ledger, namespace, signal, log } = opts;
  const names = runnerNames(opts.runId, opts.count);
  const { segments } = executionSegments(opts.count);
  const timeline = new SecondTimeline(86_400, 30);
  let startMs: number | null = null;
  const runners: Runner[] = names.pods.map((pod, i) => {
    const rawFile = path.join(opts.outDir, `k6-raw-${pod}.ndjson`);
    return {
      pod,
      segment: segments[i]!,
      node: null,
      // The clock zero is set at release: ingests are made then (see release()).
      ingest: new K6Ingest(),
      offset: 0,
      raw: null as unknown as WriteStream,
      rawFile,
      done: false,
      dead: null,
      exit: null,
      k6Requests: null,
    };
  });
  let resolveStarted!: (ms: number) => void;
  let rejectStarted!: (e: unknown) => void;
  const started = new Promise<number>((res, rej) => {
    resolveStarted = res;
    rejectStarted = rej;
  });
  started.catch(() => undefined);
  const liveIngest = { current: null as K6Ingest | null };
  let ledgerId: number | null = null;
  const hasSecret = Object.keys(opts.secrets ?? {}).length > 0;
  const undoRecord: RunnersUndo = {
    fault: RUNNERS_UNDO,
    v: 1,
    namespace,
    configMap: names.configMap,
    ...(hasSecret ? { secret: names.secret } : {}),
    pods: names.pods,
  };

  const proxy = (
    pod: string,
    port: number,
    p: string,
    o: { method?: string; body?: string; timeoutMs?: number } = {},
  ) => kube.podProxy(namespace, pod, port, p, o);

  const stopAll = async (): Promise<void> => {
    // k6's own stop first (it flushes its outputs), the pods' deletion right behind it: gone within seconds.
    const body = JSON.stringify({ data: { type: 'status', id: 'default', attributes: { stopped: true } } });
    await Promise.all(
      runners.map((r) =>
        proxy(r.pod, K6_API_PORT, '/v1/status', { method: 'PATCH', body, timeoutMs: 2000 }).catch(
          () => undefined,
        ),
      ),
    );
  };

  const cleanup = async (): Promise<void> => {
    if (ledgerId === null) return;
    try {
      log(await undoRunners(undoRecord, kube));
      await ledger.reverted(ledgerId);
      ledgerId = null;
    } catch (e) {
      log(
        `deleting the runners failed: ${apiStatus(e).message} (chaos recover --run ${opts.runId} deletes them)`,
      );
    }
  };

  const finished = (async (): Promise<RunnersOutcome> => {
    try {
      const { configMap, secret, pods } = runnerObjects({ ...opts, runId: opts.runId });
      ledgerId = await ledger.intend(
        RUNNERS_UNDO,
        `${opts.count} load runner pod(s), ConfigMap ${names.configMap}${secret ? ` and Secret ${names.secret}` : ''} in ${namespace}`,
        undoRecord,
      );
      try {
        // The Secret before the pods: a pod whose envFrom names a missing Secret would not start.
        if (secret) await kube.createSecret(secret);
        await kube.createConfigMap(configMap);
        for (const p of pods) await kube.createPod(p);
      } catch (e) {
        throw new EnvironmentError(
          `cannot create the load runners in ${namespace}: ${apiStatus(e).message}`,
          `the run needs pods and configmaps create/delete/get${hasSecret ? ', secrets create/delete' : ''} and pods/proxy in that namespace`,
        );
      }
      await ledger.applied(ledgerId);
      log(`runners: ${names.pods.join(', ')} created in ${namespace}; waiting for them to run`);
      await waitReady(opts, runners, proxy);
      log(`runners ready on ${runners.map((r) => `${r.pod}@${r.node ?? '?'}`).join(', ')}`);
      if (signal.aborted) return outcome(true);

      // The release: one PATCH per runner, all sent at once; the common clock starts just before.
      startMs = Date.now();
      for (const r of runners) {
        r.ingest = new K6Ingest({
          windows: opts.windows,
          scoreRange: opts.scoreRange,
          loadStartMs: startMs,
          windowByTime: true,
          timeline,
        });
        r.raw = createWriteStream(r.rawFile);
      }
      liveIngest.current = runners[0]!.ingest;
      const resume = JSON.stringify({
        data: { type: 'status', id: 'default', attributes: { paused: false } },
      });
      const answers = await Promise.all(
        runners.map((r) =>
          proxy(r.pod, K6_API_PORT, '/v1/status', { method: 'PATCH', body: resume, timeoutMs: 10_000 }).then(
            (a) => a,
            (e: unknown) => ({ status: 0, body: Buffer.from(String(e)) }),
          ),
        ),
      );
      const refused = answers.flatMap((a, i) =>
        a.status === 200 ? [] : [`${runners[i]!.pod}: ${a.status} ${a.body.toString().slice(0, 200)}`],
      );
      if (refused.length > 0)
        throw new EnvironmentError(`runners could not be started: ${refused.join('; ')}`);
      resolveStarted(startMs);

      const onAbort = () => void stopAll();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await Promise.all(runners.map((r) => stream(r)));
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
      return outcome(signal.aborted);
    } catch (e) {
      rejectStarted(e);
      throw e;
    } finally {
      await Promise.all(
        runners.flatMap((r) => (r.raw ? [new Promise<void>((res) => r.raw.end(() => res()))] : [])),
      );
      await cleanup();
    }
  })();
  finished.catch(() => rejectStarted(new Error('runners ended before starting')));

  /** Reads one runner's output until k6 has ended and every byte is in, or the runner is gone. */
  async function stream(r: Runner): Promise<void> {
    const pollMs = opts.pollMs ?? 250;
    let failingSince: number | null = null;
    let lastStatusAt = 0;
    for (;;) {
      try {
        const got = await proxy(r.pod, AGENT_PORT, `/raw/${r.offset}`, { timeoutMs: 10_000 });
        if (got.status !== 200)
          throw new Error(`agent answered ${got.status}: ${got.body.toString().slice(0, 200)}`);
        failingSince = null;
        if (got.body.length > 0) {
          r.ingest.write(got.body);
          r.raw.write(got.body);
          r.offset += got.body.length;
          continue;
        }
        if (Date.now() - lastStatusAt > 1000 || signal.aborted) {
          lastStatusAt = Date.now();
          const st = await proxy(r.pod, AGENT_PORT, '/status', { timeoutMs: 5000 });
          const status = JSON.parse(st.body.toString()) as {
            exit: { code: number | null; signal: string | null } | null;
            size: number;
          };
          if (status.exit && r.offset >= status.size) {
            r.exit = status.exit;
            r.ingest.end();
            const sum = await proxy(r.pod, AGENT_PORT, '/summary', { timeoutMs: 5000 });
            if (sum.status === 200) r.k6Requests = k6RequestCount(sum.body.toString());
            await proxy(r.pod, AGENT_PORT, '/done', { method: 'POST', timeoutMs: 2000 }).catch(
              () => undefined,
            );
            r.done = true;
            return;
          }
        }
      } catch (e) {
        failingSince ??= Date.now();
        const why = await podProblem(kube, namespace, r.pod);
        // A pod that is gone or failed will not answer again; a slow API server gets 10 s of retries.
        if (why !== null || Date.now() - failingSince > 10_000 || signal.aborted) {
          r.dead = why ?? `its output could not be read for 10 s: ${(e as Error).message}`;
          r.ingest.end();
          return;
        }
      }
      await sleep(pollMs);
    }
  }

  function outcome(cancelled: boolean): RunnersOutcome {
    const ingests = runners.map((r) => r.ingest);
    const summary = startMs === null ? new K6Ingest().summary() : K6Ingest.merged(ingests);
    const firsts = runners.map((r) => r.ingest.firstRequestMs);
    const known = firsts.filter((f): f is number => f !== null);
    const earliest = known.length > 0 ? Math.min(...known) : null;
    const records: RunnerRecord[] = runners.map((r, i) => {
      const requests = r.ingest.counts.requests;
      let problem: string | null = null;
      if (r.dead !== null) {
        const last = r.ingest.lastPointMs;
        const at =
          last !== null && startMs !== null ? ` after t=${((last - startMs) / 1000).toFixed(1)} s` : '';
        problem = `runner ${r.pod} stopped sending${at}: ${r.dead}`;
      } else if (!cancelled && r.k6Requests === null)
        problem = `runner ${r.pod} wrote no end-of-test summary`;
      else if (!cancelled && r.k6Requests !== requests)
        problem = `runner ${r.pod}: k6 counted ${r.k6Requests} requests, ${requests} reached the harness`;
      else if (!cancelled && r.exit && r.exit.code !== 0 && r.exit.code !== 99)
        problem = `runner ${r.pod}: k6 exited with ${r.exit.code ?? r.exit.signal}`;
      return {
        pod: r.pod,
        namespace,
        node: r.node,
        segment: r.segment,
        requests,
        k6Requests: r.k6Requests,
        startSkewMs: firsts[i] !== null && earliest !== null ? Math.round(firsts[i]! - earliest) : null,
        complete: problem === null && !cancelled,
        problem,
      };
    });
    const problems = records.flatMap((r) => (r.problem ? [r.problem] : []));
    const skews = records.flatMap((r) => (r.startSkewMs === null ? [] : [r.startSkewMs]));
    return {
      summary,
      runners: records,
      problem: problems.length > 0 ? problems.join('; ') : null,
      cancelled,
      startMs,
      skewMs: skews.length > 0 ? Math.max(...skews) : null,
      files: runners.map((r) => r.rawFile),
    };
  }

  return {
    started,
    finished,
    live: () => liveLive(runners, liveIngest.current),
    recent: (seconds) => liveIngest.current?.recent(seconds) ?? null,
  };
}

/** The live line of the merged load: one runner's view of the shared timeline, with every runner's counts. */
function liveLive(runners: Runner[], any: K6Ingest | null): LiveStats | null {
  if (!any) return null;
  const live = any.live();
  let requests = 0;
  let failed = 0;
  for (const r of runners) {
    requests += r.ingest.counts.requests;
    failed += r.ingest.counts.failed;
  }
  return { ...live, requests, failed, errorRate: requests > 0 ? failed / requests : 0 };
}

async function waitReady(
  opts: RunnersOptions,
  runners: Runner[],
  proxy: (pod: string, port: number, p: string) => Promise<{ status: number; body: Buffer }>,
): Promise<void> {
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 120_000);
  const waiting = new Set(runners);
  while (waiting.size > 0) {
    if (opts.signal.aborted) return;
    for (const r of [...waiting]) {
      const pod: Pod | null = await opts.kube.readPod(opts.namespace, r.pod).catch(() => null);
      r.node = pod?.spec?.nodeName ?? r.node;
      const phase = pod?.status?.phase;
      if (phase === 'Failed' || phase === 'Succeeded')
        throw new EnvironmentError(
          `runner ${r.pod} ended before the load started (${phase}): ${podMessage(pod)}`,
        );
      if (phase !== 'Running') continue;
      // Ready means both ends answer: the agent, and k6's REST API (k6 is then paused, its script loaded).
      const k6 = await proxy(r.pod, K6_API_PORT, '/v1/status').catch(() => null);
      if (k6?.status === 200) waiting.delete(r);
    }
    if (waiting.size === 0) break;
    if (Date.now() > deadline) {
      const r = [...waiting][0]!;
      const pod = await opts.kube.readPod(opts.namespace, r.pod).catch(() => null);
      throw new EnvironmentError(
        `runner ${r.pod} was not ready within ${Math.round((opts.readyTimeoutMs ?? 120_000) / 1000)} s: ${podMessage(pod)}`,
        'check the runner image (load.runners.image) is on the nodes and the nodes have room for load.runners.cpu/memory',
      );
    }
    await sleep(500);
  }
}

function podMessage(pod: Pod | null): string {
  if (!pod) return 'the pod is gone';
  const c = pod.status?.containerStatuses?.[0];
  const waiting = c?.state?.waiting;
  const term = c?.state?.terminated;
  const cond = pod.status?.conditions?.find((x) => x.status === 'False' && x.message);
  return (
    [
      pod.status?.phase,
      waiting ? `${waiting.reason ?? ''} ${waiting.message ?? ''}`.trim() : null,
      term ? `exited ${term.exitCode} ${term.reason ?? ''}`.trim() : null,
      cond?.message ?? null,
    ]
      .filter(Boolean)
      .join(': ') || 'no status yet'
  );
}

/** Why a runner pod cannot answer any more, or null when it still might. */
async function podProblem(kube: Kube, namespace: string, name: string): Promise<string | null> {
  try {
    const pod = await kube.readPod(namespace, name);
    if (pod.metadata?.deletionTimestamp) return 'its pod was deleted';
    const phase = pod.status?.phase;
    if (phase === 'Failed' || phase === 'Succeeded') return `its pod ended (${podMessage(pod)})`;
    return null;
  } catch (e) {
    return apiStatus(e).code === 404 ? 'its pod was deleted' : null;
  }
}

/** http_reqs' count in a k6 --summary-export document. */
export function k6RequestCount(text: string): number | null {
  try {
    const doc = JSON.parse(text) as { metrics?: Record<string, { count?: unknown }> };
    const n = doc.metrics?.http_reqs?.count;
    return typeof n === 'number' ? n : null;
  } catch {
    return null;
  }
}
