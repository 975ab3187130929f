import { formatCount, formatPercent, windowFor } from '../../report/format.js';
import type { Run } from './breach.js';
import { readyPodsOf } from './ready-pods.js';

export interface ContributingFactor {
  scenario: string;
  factor: string;
  evidence: string;
}

export function deriveContributingFactors(runs: readonly Run[]): ContributingFactor[] {
  return runs.flatMap((run) => [
    ...(run.result.verdict === 'PASS'
      ? []
      : [...drainFactors(run), ...podKillFactors(run), ...baselineFactors(run)]),
    ...run.revertFailures.map((e) => ({
      scenario: run.name,
      factor: `A fault revert failed at ${e.at}, so the fault could outlast its window`,
      evidence: e.message,
    })),
  ]);
}

function drainFactors(run: Run): ContributingFactor[] {
  return run.result.faults
    .filter((f) => f.type === 'node-drain' && f.injectedAt !== null)
    .flatMap((f) => {
      // The count for the pods under test where the result has it: another workload's budget blocking its own
      // pods held nothing back for them. (Results from before that count was kept give only the total.)
      const pdb = /(\d+) eviction\(s\) blocked by a PDB(?: \((\d+) of pods under test\))?/.exec(
        f.description,
      );
      const blocked = pdb?.[2] ?? pdb?.[1];
      const evicted = /evicted (\d+)\/\d+ pod\(s\)(?: \((\d+) under test\))?/.exec(f.description);
      const node = /cordoned (\S+?);/.exec(f.description)?.[1];
      const factors: ContributingFactor[] = [];
      if (blocked === '0' && evicted) {
        factors.push({
          scenario: run.name,
          factor: `No PodDisruptionBudget held the drain back: ${evicted[1]} pods were evicted and no eviction of a pod under test was blocked`,
          evidence: f.description,
        });
      }
      const underTest = Number(evicted?.[2] ?? NaN);
      const before = preFaultReady(run);
      if (node && before !== null && underTest >= before) {
        factors.push({
          scenario: run.name,
          factor: `All ${before} Ready target replicas ran on the drained node ${node}: nothing spread them across nodes`,
          evidence: f.description,
        });
      }
      return factors;
    });
}

function podKillFactors(run: Run): ContributingFactor[] {
  const before = preFaultReady(run);
  if (before === null) return [];
  return run.result.faults
    .filter((f) => f.type === 'pod-kill' && f.injectedAt !== null && f.targets.length > 1)
    .map((f) => ({
      scenario: run.name,
      factor: `The fault took ${f.targets.length} of ${before} Ready replicas out of service, leaving ${Math.max(0, before - f.targets.length)} to carry the load`,
      evidence: f.description,
    }));
}

function baselineFactors(run: Run): ContributingFactor[] {
  const baseline = windowFor(run.result, 'baseline');
  if (!baseline || baseline.failed === 0) return [];
  const statuses = Object.entries(baseline.statusCounts)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, n]) => `${code === '0' ? 'no response' : code}×${n}`)
    .join(', ');
  return [
    {
      scenario: run.name,
      factor: `${formatCount(baseline.failed)} of ${formatCount(baseline.requests)} requests already failed in the baseline window, before any fault`,
      evidence:
        statuses === '' ? `baseline error rate ${formatPercent(baseline.errorRate)}` : `non-2xx: ${statuses}`,
    },
  ];
}

function preFaultReady(run: Run): number | null {
  if (run.injection.ms === null) return null;
  const injectionMs = run.injection.ms;
  const ready = run.result.events.flatMap((e) => {
    const n = readyPodsOf(e);
    return n !== null && Date.parse(e.at) <= injectionMs ? [n] : [];
  });
  return ready.at(-1) ?? null;
}
