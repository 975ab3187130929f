/**
 * One run, phase by phase (src/run/phases.ts): preflight → steady state → load → baseline → faults → fault
 * window → triage → revert → recovery → steady state again → verdict; a stop condition that holds, or contact
 * with the API server lost, ends the fault phase early (revert at once — for lost contact, as soon as the server
 * answers — then triage), the load running on to the end of its windows. Whatever happens (an error, SIGINT, a
 * fault that throws), every mutation recorded in the ledger is reverted in `finally` before the run returns.
 */
import type { Plan } from '../plan/plan.js';
import type { RunResult } from '../verdict/result.js';
import {
  baseline,
  faultWindow,
  inject,
  preflight,
  recovery,
  revert,
  revertAfterLostContact,
  startLoad,
  steadyStateAfter,
  steadyStateBefore,
  stopped,
  triage,
  verdict,
  watchStopConditions,
} from './phases.js';
import { startFaultMarkers } from './fault-markers.js';
import { createRunState, revertAll, type RunContext, type RunDeps } from './state.js';

export type { LoadHandle, LoadOutcome, RunContext, RunDeps } from './state.js';

export async function runPlan(plan: Plan, deps: RunDeps, ctx: RunContext): Promise<RunResult> {
  const state = createRunState(plan, deps, ctx);
  const onInterrupt = () => {
    state.loadAbort.abort();
    state.faultAbort.abort();
    state.halt.abort();
  };
  ctx.interrupt.addEventListener('abort', onInterrupt, { once: true });
  // Ctrl-C during an API outage ends the waits of reads (the undo's retries are not given the signal).
  deps.kube.retrySignal = ctx.interrupt;
  state.contact.start();
  let markers: { stop(): Promise<void> } | null = null;
  try {
    await preflight(state);
    if (!(await steadyStateBefore(state))) return await verdict(state, 'INCONCLUSIVE');
    await startLoad(state);
    if (deps.faultMarkers)
      markers = startFaultMarkers(
        state,
        deps.faultMarkers.sink,
        deps.faultMarkers.labels,
        deps.faultMarkers.intervalMs,
      );
    baseline(state);
    watchStopConditions(state);
    await inject(state);
    // False when interrupted, or when k6 died: then the faults are already reverted, and no triage is taken.
    if (await faultWindow(state)) {
      await triage(state);
      await revert(state);
    } else if (state.stop && !ctx.interrupt.aborted) await stopped(state);
    else if (state.contactLostAtMs !== null && !ctx.interrupt.aborted && !state.cutShort.signal.aborted)
      await revertAfterLostContact(state);
    await recovery(state);
    if (ctx.interrupt.aborted) return await verdict(state, 'INCONCLUSIVE');
    await steadyStateAfter(state);
    return await verdict(state, null);
  } finally {
    ctx.interrupt.removeEventListener('abort', onInterrupt);
    if (state.progress) clearInterval(state.progress);
    clearInterval(state.stopTimer);
    state.contact.stop();
    if (state.diskWatch) clearInterval(state.diskWatch);
    state.self.stop();
    state.faultAbort.abort();
    state.loadAbort.abort();
    // The interrupt ends the run's own waits, not the reads a revert (and the lease's release after it) needs:
    // with the signal still set, every read after Ctrl-C would fail at once and leave the namespace held.
    deps.kube.retrySignal = undefined;
    // Any exit path: nothing stays injected. A second Ctrl-C does not reach here (the handler ignores it).
    await revertAll(state);
    await markers?.stop();
    state.watch?.stop();
    if (state.load && !state.outcome) await state.load.finished.catch(() => undefined);
  }
}
