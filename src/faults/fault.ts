/**
 * The fault plugin interface. A fault injects, confirms it took effect, and knows how to undo itself; the
 * orchestrator owns the timing and the ledger owns crash-safety. Each fault owns the format of its undo
 * records: the ledger stores them without reading them.
 */
import { apiStatus, ReadOnlyViolation, type Kube } from '../adapters/kube.js';
import type { Ledger, UndoRecord } from '../ledger/ledger.js';
import type { Plan } from '../plan/plan.js';
import type { FaultSpec } from '../scenario/schema.js';
import type { FaultRecord } from '../verdict/result.js';

export interface FaultContext {
  kube: Kube;
  ledger: Ledger;
  plan: Plan;
  runId: string;
  namespace: string;
  /** Seeded: the same --seed picks the same victims. */
  random: () => number;
  log: (line: string) => void;
  signal: AbortSignal;
  /** Epoch ms at which the fault window ends: a fault that waits between rounds stops waiting here. */
  windowEndMs?: number;
  /** The run's redactor, for output a fault keeps (kubectl's); default: kept as it is. */
  redact?: (text: string) => string;
}

/** One mutation made by a fault, with the ledger id that tracks its undo. */
export interface Mutation {
  ledgerId: number;
  undo: UndoRecord;
  description: string;
}

export interface Injection {
  record: FaultRecord;
  mutations: Mutation[];
}

export interface FaultPlugin<S extends FaultSpec = FaultSpec> {
  type: S['type'];
  /**
   * Makes the fault happen and confirms it did. Must write each undo to the ledger before the mutation it
   * undoes. Sets record.confirmed = false (never throws) when the fault matched nothing or was denied:
   * the run is then INCONCLUSIVE, not PASS.
   */
  inject(spec: S, ctx: FaultContext): Promise<Injection>;
  /** Read-only: what inject would touch right now (for `chaos plan` and --dry-run). */
  preview(spec: S, ctx: Omit<FaultContext, 'ledger'>): Promise<string[]>;
  /**
   * Undoes one mutation from the undo record inject wrote, read back from a ledger, perhaps by `chaos
   * recover` in another process long after. Idempotent: undoing twice, or after the platform already undid
   * it, is a no-op. Returns what it did; throws when it could not, leaving the entry open.
   */
  undo(record: UndoRecord, kube: Kube): Promise<string>;
}

/**
 * Records an undo in the ledger, then performs the mutation; the ledger entry stays open until reverted. When
 * the API server refuses the mutation (a 4xx answer), it never happened and the entry is closed: otherwise
 * `chaos recover` would later "undo" something chaos never did, e.g. uncordon a node an operator cordoned or
 * roll a Deployment back over a newer release. Any other error leaves the entry open: the mutation may have
 * happened.
 */
export async function mutate(
  ctx: FaultContext,
  fault: string,
  description: string,
  undo: UndoRecord,
  act: () => Promise<void>,
): Promise<Mutation> {
  const ledgerId = await ctx.ledger.intend(fault, description, undo);
  try {
    await act();
  } catch (error) {
    const { code, message } = apiStatus(error);
    const refused =
      (code !== null && code >= 400 && code < 500 && code !== 408) || error instanceof ReadOnlyViolation;
    // If even that write fails, the entry stays open: the safe side, recover's undo is idempotent.
    if (refused)
      await ctx.ledger.failed(ledgerId, `${code ?? 'read-only'}: ${message}`).catch(() => undefined);
    throw error;
  }
  await ctx.ledger.applied(ledgerId);
  return { ledgerId, undo, description };
}

export function emptyRecord(type: string): FaultRecord {
  return {
    type,
    description: '',
    injectedAt: null,
    revertedAt: null,
    confirmed: false,
    targets: [],
    notes: [],
  };
}

/** Deterministic shuffle-pick for a seeded random source. */
export function pick<T>(items: readonly T[], n: number, random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}

export function isTerminating(pod: { metadata?: { deletionTimestamp?: Date | string } }): boolean {
  return Boolean(pod.metadata?.deletionTimestamp);
}

export function isReady(pod: { status?: { conditions?: { type: string; status: string }[] } }): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
