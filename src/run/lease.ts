/**
 * One run per target namespace: a coordination.k8s.io/v1 Lease named `chaos-run` in the target namespace,
 * taken before the run's first write, renewed while it runs and released at its end. Taking it is journaled in
 * the run ledger like any mutation, so `chaos recover` releases the lease of a run that died.
 *
 * Every write carries the resourceVersion it read (optimistic concurrency): two runs racing for a free or
 * expired lease cannot both win, and a release never deletes a lease another run has taken since.
 */
import os from 'node:os';
import { V1MicroTime } from '@kubernetes/client-node';
import { apiStatus, type Kube, type Lease } from '../adapters/kube.js';
import { UNDO_RETRY, withRetry } from '../adapters/retry.js';
import { EnvironmentError } from '../errors.js';
import { runUndo } from '../faults/registry.js';
import type { Ledger, UndoRecord } from '../ledger/ledger.js';

export const LEASE_NAME = 'chaos-run';
/** The ledger's name for the lease's undo: it sits among the faults' records, undone by this module. */
export const LEASE_UNDO = 'run-lease';
/**
 * 60 s, renewed every 15 s: a holder that died frees its namespace within a minute even without `chaos
 * recover`, while a live one survives three failed renewals in a row — an API server outage of 30 s (which
 * the harness rides out) must not hand the namespace to a second run while the first still has a fault in.
 */
export const LEASE_DURATION_S = 60;
export const LEASE_RENEW_MS = 15_000;

const ANNOTATION = {
  runId: 'chaos.dev/run-id',
  host: 'chaos.dev/host',
  pid: 'chaos.dev/pid',
} as const;

export interface LeaseHolder {
  runId: string;
  /** Host name; in a pod, the pod's name. */
  host: string;
  pid: number | null;
  /** When it took the lease (ISO). */
  since: string | null;
  renewedAt: string | null;
  durationS: number;
}

export function holderOf(lease: Lease): LeaseHolder | null {
  const id = lease.spec?.holderIdentity;
  if (!id) return null;
  const a = lease.metadata?.annotations ?? {};
  const pid = Number(a[ANNOTATION.pid]);
  return {
    runId: a[ANNOTATION.runId] ?? id,
    host: a[ANNOTATION.host] ?? '?',
    pid: Number.isInteger(pid) ? pid : null,
    since: iso(lease.spec?.acquireTime),
    renewedAt: iso(lease.spec?.renewTime ?? lease.spec?.acquireTime),
    durationS: lease.spec?.leaseDurationSeconds ?? LEASE_DURATION_S,
  };
}

/** A lease with no holder, or whose holder has not renewed it within its duration, is free to take. */
export function isFree(lease: Lease, nowMs: number): boolean {
  const holder = holderOf(lease);
  if (!holder) return true;
  const renewed = holder.renewedAt ? Date.parse(holder.renewedAt) : NaN;
  return !Number.isFinite(renewed) || renewed + holder.durationS * 1000 <= nowMs;
}

export function describeHolder(h: LeaseHolder, nowMs: number): string {
  const since = h.since ? ` since ${h.since}` : '';
  const renewed = h.renewedAt
    ? `, renewed ${Math.max(0, Math.round((nowMs - Date.parse(h.renewedAt)) / 1000))} s ago`
    : '';
  return `run ${h.runId} on ${h.host}${h.pid === null ? '' : ` (pid ${h.pid})`}${since}${renewed}`;
}

export class LeaseHeld extends EnvironmentError {
  constructor(
    readonly namespace: string,
    readonly holder: LeaseHolder,
    nowMs: number,
  ) {
    const expires = holder.renewedAt
      ? new Date(Date.parse(holder.renewedAt) + holder.durationS * 1000).toISOString()
      : 'its duration after its last renewal';
    super(
      `namespace ${namespace} is in use by ${describeHolder(holder, nowMs)} (lease ${namespace}/${LEASE_NAME})`,
      `one run per namespace at a time: wait for it to end; if that run died, \`chaos recover --run ${holder.runId}\` on its host releases the lease, or it expires at ${expires}`,
    );
    this.name = 'LeaseHeld';
  }
}

export interface LeaseIdentity {
  namespace: string;
  runId: string;
  host?: string;
  pid?: number;
  now?: () => number;
}

/** The lease this run holds: renew it while the run lasts; release it through the ledger entry it is under. */
export interface HeldLease {
  readonly namespace: string;
  readonly ledgerId: number;
  /** Renews it; `lost` names the run that holds it now when it is no longer ours. */
  renew(): Promise<{ ok: true } | { ok: false; lost: string }>;
}

/**
 * Takes the namespace's lease or throws LeaseHeld (exit 3) naming its holder. The ledger entry is written
 * before the create or update, as for a fault; a refused take marks it failed (nothing to undo).
 */
export async function acquireLease(kube: Kube, ledger: Ledger, who: LeaseIdentity): Promise<HeldLease> {
  const now = who.now ?? Date.now;
  const { namespace, runId } = who;
  const host = who.host ?? os.hostname();
  const pid = who.pid ?? process.pid;
  const existing = await kube.readLease(namespace, LEASE_NAME);
  if (existing && !isFree(existing, now()) && holderOf(existing)?.runId !== runId)
    throw new LeaseHeld(namespace, holderOf(existing)!, now());

  const undo: UndoRecord = { fault: LEASE_UNDO, v: 1, namespace, name: LEASE_NAME, runId };
  const ledgerId = await ledger.intend(LEASE_UNDO, `lease ${namespace}/${LEASE_NAME}`, undo);
  // The API server parses MicroTime with exactly six fractional digits; a plain Date has three.
  const at = new V1MicroTime(now());
  const body: Lease = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: LEASE_NAME,
      namespace,
      labels: { 'app.kubernetes.io/managed-by': 'chaos' },
      annotations: { [ANNOTATION.runId]: runId, [ANNOTATION.host]: host, [ANNOTATION.pid]: String(pid) },
      ...(existing?.metadata?.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
    },
    spec: {
      holderIdentity: runId,
      leaseDurationSeconds: LEASE_DURATION_S,
      acquireTime: at,
      renewTime: at,
      leaseTransitions: (existing?.spec?.leaseTransitions ?? -1) + 1,
    },
  };
  try {
    await (existing ? kube.replaceLease(namespace, body) : kube.createLease(namespace, body));
  } catch (error) {
    await ledger.failed(ledgerId, apiStatus(error).message);
    const { code, message } = apiStatus(error);
    // 409: another run took it between our read and our write (create: AlreadyExists; update: Conflict).
    if (code === 409) {
      const winner = await kube.readLease(namespace, LEASE_NAME).catch(() => null);
      const holder = winner && holderOf(winner);
      if (holder) throw new LeaseHeld(namespace, holder, now());
    }
    if (code === 403)
      throw new EnvironmentError(
        `permission denied taking the run lease ${namespace}/${LEASE_NAME}: ${message}`,
        'grant get, create, update and delete on leases (coordination.k8s.io) in the target namespace',
      );
    throw new EnvironmentError(`cannot take the run lease ${namespace}/${LEASE_NAME}: ${message}`);
  }
  await ledger.applied(ledgerId);

  return {
    namespace,
    ledgerId,
    renew: async () => {
      const current = await kube.readLease(namespace, LEASE_NAME);
      const holder = current && holderOf(current);
      if (!current || !holder || holder.runId !== runId)
        return { ok: false, lost: holder ? describeHolder(holder, now()) : 'nobody (the lease was deleted)' };
      await kube.replaceLease(namespace, {
        ...current,
        spec: { ...current.spec, renewTime: new V1MicroTime(now()) },
      });
      return { ok: true };
    },
  };
}

/**
 * The lease's undo, for the run's own end and for `chaos recover`: deletes the lease if the run in the record
 * still holds it; a lease another run holds now (ours expired and was taken) is left alone.
 */
export async function releaseLease(kube: Kube, undo: UndoRecord): Promise<string> {
  const namespace = typeof undo.namespace === 'string' ? undo.namespace : '';
  const name = typeof undo.name === 'string' ? undo.name : LEASE_NAME;
  const lease = await kube.readLease(namespace, name);
  if (!lease) return `lease ${namespace}/${name} released (already gone)`;
  const holder = holderOf(lease);
  if (holder && holder.runId !== undo.runId)
    return `lease ${namespace}/${name} left alone: held by run ${holder.runId} now`;
  try {
    await kube.deleteLease(namespace, name, lease.metadata?.resourceVersion ?? '');
  } catch (error) {
    // Gone between the read and the delete: released all the same.
    if (apiStatus(error).code !== 404) throw error;
  }
  return `lease ${namespace}/${name} released`;
}

/**
 * Undoes one ledger entry: the run's lease here, a fault's mutation through its plugin, retried through an
 * API outage. The one place the run layer turns an undo record into code.
 */
export function undoEntry(
  kube: Kube,
  undo: UndoRecord,
  onRetry?: (error: unknown, attempt: number) => void,
): Promise<string> {
  // Through an API outage: undos are written to be safe to repeat, and this one must happen.
  return withRetry(
    `undo ${undo.fault}`,
    () => (undo.fault === LEASE_UNDO ? releaseLease(kube, undo) : runUndo(kube, undo)),
    UNDO_RETRY,
    { onRetry },
  );
}

function iso(d: Date | string | undefined | null): string | null {
  if (!d) return null;
  const t = d instanceof Date ? d.getTime() : Date.parse(d);
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}
