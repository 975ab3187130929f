/**
 * What the autoscaler did, from the watch API: the HorizontalPodAutoscaler that scales the target Deployment
 * (desired and current replicas, CPU, conditions) and the Deployment's Ready replicas, each change stamped with
 * when chaos received it. Pure state fed with watch events, so tests can replay them; `timeline()` is the data a
 * judge and the report read.
 */
import type { Deployment, HorizontalPodAutoscaler, WatchEvent } from '../adapters/kube.js';

export interface HpaCondition {
  /** AbleToScale, ScalingActive (false: no metrics), ScalingLimited (at min or max). */
  type: string;
  status: string;
  reason: string | null;
  message: string | null;
}

export interface HpaSample {
  /** Epoch ms the change was received. */
  at: number;
  /** status.desiredReplicas: what the HPA last decided; null once the HPA is gone. */
  desired: number | null;
  current: number | null;
  /** Average CPU utilisation across the pods, % of their request, as the HPA last read it. */
  cpuPercent: number | null;
  conditions: HpaCondition[];
}

export interface ReplicaSample {
  at: number;
  /** spec.replicas: what the Deployment is asked for (the HPA writes it). */
  replicas: number | null;
  /** status.readyReplicas */
  ready: number;
}

export interface HpaSpecSummary {
  name: string;
  minReplicas: number;
  maxReplicas: number;
  /** The CPU utilisation target (% of request), when the HPA has one. */
  cpuTargetPercent: number | null;
}

export interface ScalingTimeline {
  deployment: string;
  /** The HPA whose scaleTargetRef is the Deployment, as last seen; null when none was seen. */
  hpa: HpaSpecSummary | null;
  hpaSamples: HpaSample[];
  replicaSamples: ReplicaSample[];
}

export class ScalingObserver {
  private hpa: HpaSpecSummary | null = null;
  private readonly hpaSamples: HpaSample[] = [];
  private readonly replicaSamples: ReplicaSample[] = [];

  constructor(
    readonly deployment: string,
    private readonly onHpaChange?: (sample: HpaSample, previous: HpaSample | undefined) => void,
  ) {}

  applyHpa(event: WatchEvent<HorizontalPodAutoscaler>): void {
    if (event.type === 'BOOKMARK' || event.type === 'ERROR') return;
    const o = event.object;
    const ref = o.spec?.scaleTargetRef;
    const name = o.metadata?.name;
    if (!name || ref?.kind !== 'Deployment' || ref.name !== this.deployment) return;
    // Two HPAs on one Deployment fight (the controller reports AmbiguousSelector): follow the first one seen.
    if (this.hpa && this.hpa.name !== name) return;
    const cpuTarget = o.spec?.metrics?.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
    this.hpa = {
      name,
      minReplicas: o.spec?.minReplicas ?? 1,
      maxReplicas: o.spec?.maxReplicas ?? 0,
      cpuTargetPercent: cpuTarget?.resource?.target.averageUtilization ?? null,
    };
    const deleted = event.type === 'DELETED';
    const cpu = o.status?.currentMetrics?.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
    const sample: HpaSample = {
      at: event.receivedAt.getTime(),
      desired: deleted ? null : (o.status?.desiredReplicas ?? null),
      current: deleted ? null : (o.status?.currentReplicas ?? null),
      cpuPercent: deleted ? null : (cpu?.resource?.current.averageUtilization ?? null),
      conditions: deleted
        ? []
        : (o.status?.conditions ?? []).map((c) => ({
            type: c.type,
            status: c.status,
            reason: c.reason ?? null,
            message: c.message ?? null,
          })),
    };
    const last = this.hpaSamples[this.hpaSamples.length - 1];
    if (last && sameHpaState(last, sample)) return;
    this.hpaSamples.push(sample);
    this.onHpaChange?.(sample, last);
  }

  applyDeployment(event: WatchEvent<Deployment>): void {
    if (event.type === 'BOOKMARK' || event.type === 'ERROR') return;
    const d = event.object;
    if (d.metadata?.name !== this.deployment) return;
    const deleted = event.type === 'DELETED';
    const sample: ReplicaSample = {
      at: event.receivedAt.getTime(),
      replicas: deleted ? null : (d.spec?.replicas ?? null),
      ready: deleted ? 0 : (d.status?.readyReplicas ?? 0),
    };
    const last = this.replicaSamples[this.replicaSamples.length - 1];
    if (last && last.replicas === sample.replicas && last.ready === sample.ready) return;
    this.replicaSamples.push(sample);
  }

  timeline(): ScalingTimeline {
    return {
      deployment: this.deployment,
      hpa: this.hpa,
      hpaSamples: [...this.hpaSamples],
      replicaSamples: [...this.replicaSamples],
    };
  }
}

function sameHpaState(a: HpaSample, b: HpaSample): boolean {
  return (
    a.desired === b.desired &&
    a.current === b.current &&
    a.cpuPercent === b.cpuPercent &&
    a.conditions.length === b.conditions.length &&
    a.conditions.every((c, i) => {
      const d = b.conditions[i]!;
      return c.type === d.type && c.status === d.status && c.reason === d.reason;
    })
  );
}

/** The last sample at or before `t` (epoch ms), or undefined. */
export function sampleAt<S extends { at: number }>(samples: readonly S[], t: number): S | undefined {
  let found: S | undefined;
  for (const s of samples) {
    if (s.at > t) break;
    found = s;
  }
  return found;
}
