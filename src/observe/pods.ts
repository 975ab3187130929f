/**
 * What happened to the pods under test, from the watch API: readiness over time, restarts, OOM kills,
 * waiting reasons (CrashLoopBackOff). Pure state fed with watch events, so tests can replay events.
 */
import type { Pod, WatchEvent } from '../adapters/kube.js';

export interface PodState {
  name: string;
  /** metadata.uid: a StatefulSet replacement keeps the name but not the uid. */
  uid: string | null;
  node: string | null;
  /** When the watch first saw the pod (epoch ms). */
  createdAt: number;
  ready: boolean;
  terminating: boolean;
  deleted: boolean;
  restartsAtStart: number;
  restarts: number;
  waitingReasons: Set<string>;
  terminatedReasons: Set<string>;
  image: string;
  env: Record<string, string>;
}

export interface ReadySample {
  at: number;
  ready: number;
}

export class PodObserver {
  readonly pods = new Map<string, PodState>();
  readonly readyTimeline: ReadySample[] = [];
  private lastReady = -1;
  /** Per pod, per container: what had already happened when the watch first saw it. */
  private readonly before = new Map<string, Map<string, { restarts: number; terminations: Set<string> }>>();

  constructor(private readonly onChange?: (ready: number) => void) {}

  apply(event: WatchEvent<Pod>): void {
    if (event.type === 'BOOKMARK' || event.type === 'ERROR') return;
    const pod = event.object;
    const name = pod.metadata?.name;
    if (!name) return;
    const at = event.receivedAt.getTime();
    const uid = pod.metadata?.uid ?? null;
    const known = this.pods.get(name);
    // Same name, other uid: a new pod (StatefulSet replacement), seen for the first time.
    const prev = known && !(uid && known.uid && uid !== known.uid) ? known : undefined;
    const statuses = pod.status?.containerStatuses ?? [];
    const restarts = statuses.reduce((sum, c) => sum + (c.restartCount ?? 0), 0);
    if (!prev) {
      this.before.set(
        name,
        new Map(
          statuses.map((c) => [
            c.name,
            {
              restarts: c.restartCount ?? 0,
              terminations: new Set(
                [c.state?.terminated, c.lastState?.terminated]
                  .filter((t) => t !== undefined)
                  .map((t) => terminationId(t)),
              ),
            },
          ]),
        ),
      );
    }
    const state: PodState = prev ?? {
      name,
      uid,
      node: null,
      // First sight, not creationTimestamp: the API rounds that to the second, which would date a replacement
      // created 0.9 s after a fault to before it.
      createdAt: at,
      ready: false,
      terminating: false,
      deleted: false,
      restartsAtStart: restarts,
      restarts,
      waitingReasons: new Set(),
      terminatedReasons: new Set(),
      image: pod.spec?.containers[0]?.image ?? '',
      env: Object.fromEntries(
        (pod.spec?.containers[0]?.env ?? [])
          .filter((e) => e.value !== undefined)
          .map((e) => [e.name, e.value!]),
      ),
    };
    state.node = pod.spec?.nodeName ?? state.node;
    state.ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    state.terminating = Boolean(pod.metadata?.deletionTimestamp);
    state.deleted = event.type === 'DELETED';
    state.restarts = restarts;
    const before = this.before.get(name);
    for (const c of statuses) {
      if (c.state?.waiting?.reason) state.waitingReasons.add(c.state.waiting.reason);
      // Only terminations during the run: a container OOMKilled yesterday still shows it in lastState.
      const seen = before?.get(c.name);
      const restarted = (c.restartCount ?? 0) > (seen?.restarts ?? 0);
      for (const t of [c.lastState?.terminated, c.state?.terminated]) {
        if (!t?.reason) continue;
        const id = terminationId(t);
        // Without a container id or a finish time to tell terminations apart, a restart since first sight is the sign.
        const fresh = !seen?.terminations.has(id) || (restarted && !t.containerID && !t.finishedAt);
        if (fresh) state.terminatedReasons.add(t.reason);
      }
    }
    this.pods.set(name, state);
    this.sample(at);
  }

  /** Ready pods that are not on their way out: what the Service can actually send traffic to. */
  readyCount(): number {
    let n = 0;
    for (const p of this.pods.values()) if (p.ready && !p.terminating && !p.deleted) n++;
    return n;
  }

  readyAt(t: number): number | null {
    let value: number | null = null;
    for (const s of this.readyTimeline) {
      if (s.at > t) break;
      value = s.ready;
    }
    return value;
  }

  minReadyBetween(from: number, to: number): number | null {
    let min = this.readyAt(from);
    for (const s of this.readyTimeline)
      if (s.at > from && s.at <= to) min = min === null ? s.ready : Math.min(min, s.ready);
    return min;
  }

  /**
   * First moment at or after `since` when at least `desired` pods are Ready and `replaced` of them were created
   * after `since` — i.e. what the fault took away has come back.
   */
  recoveredAt(since: number, desired: number, replaced: number): number | null {
    for (const t of this.readyTimeline.filter((s) => s.at >= since).map((s) => s.at)) {
      const fresh = this.freshReadyAt(t, since);
      const ready = this.readyAt(t) ?? 0;
      if (ready >= desired && fresh >= replaced) return t;
    }
    return null;
  }

  private readonly readyHistory = new Map<string, { at: number; ready: boolean }[]>();

  private freshReadyAt(t: number, since: number): number {
    let n = 0;
    for (const [name, history] of this.readyHistory) {
      const pod = this.pods.get(name);
      if (!pod || pod.createdAt < since) continue;
      let ready = false;
      for (const h of history) {
        if (h.at > t) break;
        ready = h.ready;
      }
      if (ready) n++;
    }
    return n;
  }

  private sample(at: number): void {
    for (const p of this.pods.values()) {
      const history = this.readyHistory.get(p.name) ?? [];
      const effective = p.ready && !p.terminating && !p.deleted;
      if (history.length === 0 || history[history.length - 1]!.ready !== effective)
        history.push({ at, ready: effective });
      this.readyHistory.set(p.name, history);
    }
    const ready = this.readyCount();
    if (ready !== this.lastReady) {
      this.readyTimeline.push({ at, ready });
      this.lastReady = ready;
      this.onChange?.(ready);
    }
  }

  restartsDuringRun(): { pod: string; restarts: number }[] {
    return [...this.pods.values()]
      .filter((p) => p.restarts > p.restartsAtStart)
      .map((p) => ({ pod: p.name, restarts: p.restarts - p.restartsAtStart }));
  }

  oomKilled(): string[] {
    return [...this.pods.values()].filter((p) => p.terminatedReasons.has('OOMKilled')).map((p) => p.name);
  }

  podsCreatedAfter(t: number): PodState[] {
    return [...this.pods.values()].filter((p) => p.createdAt >= t);
  }
}

function terminationId(t: {
  reason?: string;
  containerID?: string;
  startedAt?: Date | string;
  finishedAt?: Date | string;
}): string {
  const time = (d: Date | string | undefined) => (d === undefined ? '' : String(new Date(d).getTime()));
  return [t.reason ?? '', t.containerID ?? '', time(t.startedAt), time(t.finishedAt)].join('|');
}
