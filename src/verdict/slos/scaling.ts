/**
 * The autoscaler reacts before p95 breaches: from the load reaching a level (or the window's start) to the first
 * replica beyond the ones there at load start being Ready, after the HPA asked for it; and whether that came
 * before the first second whose p95 broke the scenario's p95 latency SLO. Judged from the HPA and Deployment
 * watch (src/observe/scaling.ts) and the per-second load timeline.
 */
import { sampleAt, type HpaCondition, type HpaSample, type ScalingTimeline } from '../../observe/scaling.js';
import type { Plan } from '../../plan/plan.js';
import { formatDuration } from '../../scenario/units.js';
import type { WindowName } from '../result.js';
import { defineSlo, inconclusive, round, type Judgment } from './judge.js';

export const scaling = defineSlo({
  kind: 'scaling',
  needs: ['load', 'scaling', 'perSecond', 'loadStartMs'],
  // No load means no CPU to scale on: a missed window's "never scaled" proves nothing about the autoscaler.
  absenceIsBreach: true,
  heading: (slo) => ({
    id: `scaling-${slo.window}`,
    window: slo.window,
    threshold: `scale-up Ready before p95 breach${slo.within ? `, ≤ ${slo.within.text}` : ''}${slo.fromRate !== undefined ? ` (from ${slo.fromRate} req/s)` : ''}`,
  }),
  judge(slo, { plan, obs }): Judgment {
    const t0 = obs.loadStartMs;
    if (t0 === null) return inconclusive('load never started');
    const tl = obs.scaling;
    if (!tl) return inconclusive('the HPA and Deployment were not watched');
    if (!tl.hpa)
      return inconclusive(
        `no HorizontalPodAutoscaler in ${plan.namespace} scales Deployment ${tl.deployment}: nothing to judge`,
      );
    if (tl.replicaSamples.length === 0) return inconclusive(`Deployment ${tl.deployment} was never observed`);
    const [spanStart, spanEnd] = windowSpan(plan, t0, slo.window);
    const off = (at: number) => `t=${round((at - t0) / 1000)}s`;

    // Where the clock starts: the window's start, or the first second in it that carried the stated rate.
    let from = spanStart;
    let fromText = `the ${slo.window} window's start (${off(spanStart)})`;
    if (slo.fromRate !== undefined) {
      const inSpan = obs.perSecond.filter((p) => t0 + p.t * 1000 >= spanStart && t0 + p.t * 1000 < spanEnd);
      const crossed = inSpan.find((p) => p.requests >= slo.fromRate!);
      if (!crossed) {
        const peak = inSpan.reduce((m, p) => Math.max(m, p.requests), 0);
        return inconclusive(
          `the load never reached ${slo.fromRate} req/s in the ${slo.window} window (peak ${peak} req/s): the level the reaction is timed from never came`,
        );
      }
      from = t0 + crossed.t * 1000;
      fromText = `the load reaching ${slo.fromRate} req/s (${off(from)}, ${crossed.requests} requests that second)`;
    }

    // "Additional" is counted against the capacity the run started with, not whatever was Ready at `from`: a
    // scale-up that came before the load reached the level counts, as a reaction time of zero.
    const reference = sampleAt(tl.replicaSamples, t0)?.ready ?? tl.replicaSamples[0]!.ready;
    const askedAt = tl.hpaSamples.find((s) => s.at >= t0 && s.desired !== null && s.desired > reference);
    // The HPA's decision first, then a Ready replica beyond it: a rollout's surge pod is not a scale-up.
    const readyAt = askedAt
      ? tl.replicaSamples.find((s) => s.at >= askedAt.at && s.ready > reference && s.at <= spanEnd)
      : undefined;

    const latency = plan.scenario.slos
      .filter((s) => s.type === 'latency' && s.percentile === 95)
      .map((s) => (s.type === 'latency' ? s.max : null))
      .filter((m) => m !== null)
      .sort((a, b) => a.ms - b.ms)[0];
    const breach = latency
      ? obs.perSecond.find(
          (p) =>
            t0 + p.t * 1000 >= spanStart &&
            t0 + p.t * 1000 < spanEnd &&
            p.p95Ms !== null &&
            p.p95Ms > latency.ms,
        )
      : undefined;
    const breachAt = breach ? t0 + breach.t * 1000 : null;
    const breachText = breach
      ? `p95 first above ${latency!.text} at ${off(breachAt!)} (${round(breach.p95Ms!)} ms)`
      : `p95 never above ${latency?.text ?? '(no p95 SLO)'} in the ${slo.window} window`;

    const story = [
      `HPA ${tl.hpa.name} (min ${tl.hpa.minReplicas}, max ${tl.hpa.maxReplicas}${tl.hpa.cpuTargetPercent !== null ? `, CPU target ${tl.hpa.cpuTargetPercent}%` : ''})`,
      `Ready: ${replicaStory(tl, t0, spanEnd)}`,
      `HPA desired: ${desiredStory(tl.hpaSamples, t0, spanEnd)}`,
      cpuPeak(tl.hpaSamples, t0, spanStart, spanEnd),
      `conditions at the end: ${conditionsText(sampleAt(tl.hpaSamples, spanEnd)?.conditions ?? [])}`,
      breachText,
    ].join('; ');

    if (!readyAt) {
      // A stack that never got a replica because the HPA had no metrics says nothing about its autoscaling.
      const blind = tl.hpaSamples
        .filter((s) => s.at >= from && s.at <= spanEnd)
        .concat(sampleAt(tl.hpaSamples, from) ?? [])
        .map((s) => s.conditions.find((c) => c.type === 'ScalingActive'))
        .find((c) => c?.status === 'False');
      if (blind)
        return inconclusive(
          `the HPA could not compute a scale (ScalingActive False: ${blind.reason ?? ''} ${blind.message ?? ''}`.trim() +
            `) and no replica beyond the ${reference} at load start became Ready; ${story}`,
        );
      const asked = askedAt
        ? `the HPA asked for ${askedAt.desired} at ${off(askedAt.at)} but no replica beyond ${reference} was Ready by the ${slo.window} window's end`
        : `the HPA never asked for more than the ${reference} replicas Ready at load start`;
      return { verdict: 'FAIL', measured: null, evidence: `${asked}; ${story}` };
    }

    const reaction = Math.max(0, readyAt.at - from);
    const lines = [
      `replica ${reference + 1} Ready at ${off(readyAt.at)} (HPA asked for ${askedAt!.desired} at ${off(askedAt!.at)}): ` +
        `${formatDuration(reaction)} after ${fromText}${readyAt.at < from ? ' (already scaled up by then)' : ''}`,
    ];
    let ok = true;
    if (breachAt !== null && breachAt <= readyAt.at) {
      ok = false;
      lines.push(`too late: the p95 SLO was breached first, at ${off(breachAt)}`);
    }
    if (slo.within && reaction > slo.within.ms) {
      ok = false;
      lines.push(`slower than ${slo.within.text}`);
    }
    return {
      verdict: ok ? 'PASS' : 'FAIL',
      measured: round(reaction / 1000),
      evidence: `${lines.join('; ')}; ${story}`,
    };
  },
});

/** A window's absolute span in epoch ms. */
function windowSpan(plan: Plan, t0: number, window: WindowName): [number, number] {
  if (window === 'all') return [t0, t0 + plan.totalMs];
  const w = plan.windows.find((x) => x.name === window)!;
  return [t0 + w.startMs, t0 + w.endMs];
}

function replicaStory(tl: ScalingTimeline, t0: number, end: number): string {
  const first = sampleAt(tl.replicaSamples, t0) ?? tl.replicaSamples[0]!;
  const steps = [first];
  // The Deployment also changes when the HPA raises spec.replicas; the story is about Ready ones.
  for (const s of tl.replicaSamples.filter((x) => x.at > t0 && x.at <= end))
    if (s.ready !== steps[steps.length - 1]!.ready) steps.push(s);
  return limit(steps.map((s) => `${s.ready} (t=${round(Math.max(0, s.at - t0) / 1000)}s)`));
}

function desiredStory(samples: readonly HpaSample[], t0: number, end: number): string {
  const first = sampleAt(samples, t0) ?? samples[0];
  if (!first) return 'no status seen';
  const steps = [first];
  for (const s of samples.filter((x) => x.at > t0 && x.at <= end))
    if (s.desired !== steps[steps.length - 1]!.desired) steps.push(s);
  return limit(
    steps.map(
      (s) =>
        `${s.desired ?? 'none'} (t=${round(Math.max(0, s.at - t0) / 1000)}s${s.cpuPercent !== null ? `, CPU ${s.cpuPercent}%` : ''})`,
    ),
  );
}

/** What the HPA read at its busiest in the window: a stack that never scaled may still have been asked to. */
function cpuPeak(samples: readonly HpaSample[], t0: number, start: number, end: number): string {
  const peak = samples
    .filter((s) => s.at >= start && s.at <= end && s.cpuPercent !== null)
    .reduce<HpaSample | null>((m, s) => (m === null || s.cpuPercent! > m.cpuPercent! ? s : m), null);
  return peak
    ? `CPU peak ${peak.cpuPercent}% of request at t=${round((peak.at - t0) / 1000)}s`
    : 'no CPU reading in the window';
}

function conditionsText(conditions: readonly HpaCondition[]): string {
  if (conditions.length === 0) return 'none reported';
  return conditions.map((c) => `${c.type} ${c.status}${c.reason ? ` (${c.reason})` : ''}`).join(', ');
}

/** Long timelines keep their first and last steps: the evidence stays a sentence. */
function limit(steps: string[], max = 12): string {
  if (steps.length <= max) return steps.join(' → ');
  return [...steps.slice(0, max - 3), `… ${steps.length - max + 1} more …`, ...steps.slice(-2)].join(' → ');
}
