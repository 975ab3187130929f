/** `chaos plan`: the timeline, and what the faults would touch right now. Never writes to the cluster. */
import { Kube } from '../adapters/kube.js';
import type { Output } from '../adapters/output.js';
import { ChaosError, InvalidInputError } from '../errors.js';
import { previewFaults } from '../faults/registry.js';
import { describeSlo } from '../plan/describe.js';
import { buildPlan } from '../plan/plan.js';
import { seededRandom } from '../run/random.js';
import { formatDiagnostic } from '../scenario/diagnostics.js';
import { loadScenarioFile } from '../scenario/parse.js';
import { formatDuration } from '../scenario/units.js';

export interface PlanCliOptions {
  context?: string;
  namespace?: string;
  seed?: number;
  timeScale?: number;
}

export async function planCommand(file: string, opts: PlanCliOptions, out: Output): Promise<void> {
  const loaded = await loadScenarioFile(file);
  if (!loaded.ok) throw new InvalidInputError(loaded.diagnostics.map(formatDiagnostic));
  const seed = opts.seed ?? 1;
  const plan = buildPlan(loaded.scenario, {
    file,
    namespace: opts.namespace,
    seed,
    timeScale: opts.timeScale ?? 1,
  });
  const s = plan.scenario;
  const print = (line = '') => out.stdout(line + '\n');
  print(`${s.metadata.name}: ${s.metadata.description.trim().split('\n')[0] ?? ''}`);
  print(
    `target   ${plan.namespace} ${JSON.stringify(s.target.selector)} → POST ${plan.k6.request.url} (protocol ${plan.k6.request.protocol})`,
  );
  const l = s.load;
  const stages = (plan.k6.scenario.stages ?? []) as { duration: string; target: number }[];
  print(
    `load     ${l.executor}${l.rate ? ` ${l.rate}/s` : ''}${l.vus ? ` ${l.vus} VUs` : ''}` +
      `${stages.length ? ` stages ${stages.map((x) => `${x.duration}→${x.target}`).join(', ')}` : ''}, ${formatDuration(plan.totalMs)} in all`,
  );
  const r = s.target.response;
  const paths = [
    r.score && `score ${r.score.text}${r.scoreColumn === undefined ? '' : ` column ${r.scoreColumn}`}`,
    r.class && `class ${r.class.text}`,
  ].filter(Boolean);
  print(
    `answers  ${paths.join(', ')}` +
      (l.golden ? `; golden rows from ${l.golden.file}, one request in ${l.golden.every}` : ''),
  );
  print('timeline');
  for (const w of plan.windows) {
    print(`  ${formatDuration(w.startMs).padStart(6)} – ${formatDuration(w.endMs).padEnd(6)} ${w.name}`);
    const injections = plan.faults
      .flatMap((f) => f.injectAtMs.map((atMs, i) => ({ f, atMs, i })))
      .filter((x) => x.atMs >= w.startMs && x.atMs < w.endMs)
      .sort((a, b) => a.atMs - b.atMs);
    for (const { f, atMs, i } of injections) {
      const round = f.injectAtMs.length > 1 ? ` ${i + 1} of ${f.injectAtMs.length}` : '';
      const revert =
        f.spec.type !== 'oversize-batch' && i === f.injectAtMs.length - 1
          ? ` (reverted at ${formatDuration(f.revertAtMs)})`
          : '';
      print(`  ${formatDuration(atMs).padStart(6)}          ↳ ${f.spec.type}${round}${revert}`);
    }
  }
  print('slos');
  for (const slo of s.slos) print(`  ${describeSlo(slo)}`);

  let kube: Kube;
  try {
    kube = Kube.connect({ context: opts.context, readOnly: true });
    await kube.ping(5000);
  } catch (error) {
    print(`targets  (no cluster reachable: ${error instanceof ChaosError ? error.message : String(error)})`);
    return;
  }
  const pods = await kube.listPods(plan.namespace, s.target.selector);
  print(
    `targets  ${pods.length} pod(s) now in context ${kube.context}: ${pods.map((p) => p.metadata?.name).join(', ')}`,
  );
  for (const { fault, lines } of await previewFaults(plan, kube, seededRandom(seed))) {
    for (const line of lines) print(`  ${fault.spec.type}: ${line}`);
  }
}
