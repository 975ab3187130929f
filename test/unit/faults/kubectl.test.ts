import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { kubectl, type KubectlUndo } from '../../../src/faults/kubectl.js';
import { runUndo } from '../../../src/faults/registry.js';
import { replayLedger } from '../../../src/ledger/ledger.js';
import { makeRedactor } from '../../../src/run/redact.js';
import { FakeKube, makeDeployment } from '../../fakes/kube.js';
import { faultContext, faultOf, faultTestHooks, makePlan } from '../../fakes/scenario.js';

vi.mock('node:timers/promises', async (real) =>
  (await import('../../fakes/clock.js')).instantTimers(await real()),
);

const { tmp, contexts } = faultTestHooks({ prefix: 'chaos-kubectl-', at: '2026-12-02T11:00:00.000Z' });

const KEY = 'ml-serving/feature-store';
const CAPTURE = ['get', 'deployment/feature-store', '-o', 'jsonpath={.spec.replicas}'];
const INJECT = ['scale', 'deployment/feature-store', '--replicas=0'];
const UNDO = ['scale', 'deployment/feature-store', '--replicas={{captured}}'];
const CONFIRM = ['wait', 'pod', '-l', 'app=feature-store', '--for=delete', '--timeout=5s'];

function cluster(replicas = 2): FakeKube {
  const kube = new FakeKube();
  kube.addDeployment(makeDeployment({ name: 'feature-store', replicas }));
  return kube;
}

async function setUp(kube: FakeKube, fault: Record<string, unknown> = {}, opts: { namespace?: string } = {}) {
  const plan = makePlan(
    {
      faults: [{ type: 'kubectl', capture: CAPTURE, inject: INJECT, undo: UNDO, ...fault }],
      safety: { allowedNamespaces: ['ml-serving', 'other'], allowKubectl: true },
    },
    opts.namespace ? { namespace: opts.namespace } : {},
  );
  const ctx = await faultContext(kube, plan, tmp.dir);
  contexts.push(ctx);
  return { ctx, spec: faultOf(plan, 'kubectl') };
}

const ledgerOf = (file: string) => replayLedger(file, readFileSync(file, 'utf8'));
const kubectlCalls = (kube: FakeKube) => kube.callsTo('kubectl').map((a) => (a[1] as string[]).join(' '));

describe('kubectl fault: inject', () => {
  it('reads the replica count, journals the undo with it BEFORE the inject runs, then scales to 0', async () => {
    const kube = cluster(2);
    const { ctx, spec } = await setUp(kube);
    let openAtInject: unknown[] | null = null;
    kube.kubectlHandler = (_ns, args) => {
      if (args[0] === 'scale' && args.includes('--replicas=0'))
        openAtInject = ledgerOf(ctx.ledger.file).open.map((i) => i.undo);
      return args[0] === 'get'
        ? { exitCode: 0, output: '2' }
        : { exitCode: 0, output: 'deployment.apps/feature-store scaled\n' };
    };
    const { record, mutations } = await kubectl.inject(spec, ctx);
    expect(openAtInject).toEqual([
      {
        fault: 'kubectl',
        v: 1,
        namespace: 'ml-serving',
        args: ['scale', 'deployment/feature-store', '--replicas=2'],
        timeoutMs: 30_000,
        cwd: expect.stringMatching(/scenarios$/) as string,
      },
    ]);
    expect(kubectlCalls(kube)).toEqual([CAPTURE.join(' '), INJECT.join(' ')]);
    expect(kube.callsTo('kubectl').map((a) => (a[2] as { write: boolean }).write)).toEqual([false, true]);
    expect(mutations).toHaveLength(1);
    expect(record).toMatchObject({
      type: 'kubectl',
      confirmed: true,
      description:
        'kubectl scale deployment/feature-store --replicas=0 (undo: kubectl scale deployment/feature-store --replicas=2)',
      targets: ['ml-serving: kubectl scale deployment/feature-store --replicas=0'],
    });
    expect(record.injectedAt).not.toBeNull();
    expect(record.commands!.map((c) => [c.step, c.exitCode, c.output])).toEqual([
      ['capture', 0, '2'],
      ['inject', 0, 'deployment.apps/feature-store scaled\n'],
    ]);
    expect(record.commands![1]!.args).toEqual([
      '--context',
      'kind-chaos',
      '--namespace',
      'ml-serving',
      ...INJECT,
    ]);
    expect(record.notes[1]).toBe(
      'inject: kubectl --context kind-chaos --namespace ml-serving scale deployment/feature-store --replicas=0 → exit 0: deployment.apps/feature-store scaled',
    );
  });

  it('retries confirm every second until it exits 0, and keeps the attempt that decided', async () => {
    const kube = cluster(2);
    let waits = 0;
    kube.kubectlHandler = (ns, args) => {
      if (args[0] !== 'wait') return kube.defaultKubectl(ns, args);
      waits++;
      return waits < 3
        ? { exitCode: 1, output: 'error: timed out waiting for the condition on pods/feature-store-a\n' }
        : { exitCode: 0, output: '' };
    };
    const { ctx, spec } = await setUp(kube, { confirm: CONFIRM });
    const { record } = await kubectl.inject(spec, ctx);
    expect(record.confirmed).toBe(true);
    expect(record.commands!.find((c) => c.step === 'confirm')).toMatchObject({ exitCode: 0, attempts: 3 });
    expect(record.notes.filter((n) => n.startsWith('confirm:'))).toHaveLength(1);
  });

  it('not confirmed by the deadline: INCONCLUSIVE, and the undo is still journaled and returned', async () => {
    const kube = cluster(2);
    kube.kubectlHandler = (ns, args) =>
      args[0] === 'wait' ? { exitCode: 1, output: 'error: timed out\n' } : kube.defaultKubectl(ns, args);
    const { ctx, spec } = await setUp(kube, { confirm: CONFIRM, confirmWithin: '10s' });
    const { record, mutations } = await kubectl.inject(spec, ctx);
    expect(record.confirmed).toBe(false);
    expect(record.notes.at(-1)).toMatch(
      /^not confirmed within 10s \(\d+ attempt\(s\)\): the run is INCONCLUSIVE$/,
    );
    expect(mutations).toHaveLength(1);
    expect(ledgerOf(ctx.ledger.file).open).toHaveLength(1);
    expect(kube.deployments.get(KEY)!.spec!.replicas).toBe(0);
  });

  it('a capture that fails injects nothing and journals nothing', async () => {
    const kube = cluster(2);
    kube.kubectlHandler = () => ({
      exitCode: 1,
      output: 'Error from server (Forbidden): deployments.apps is forbidden\n',
    });
    const { ctx, spec } = await setUp(kube);
    const { record, mutations } = await kubectl.inject(spec, ctx);
    expect(record.confirmed).toBe(false);
    expect(mutations).toEqual([]);
    expect(kubectlCalls(kube)).toEqual([CAPTURE.join(' ')]);
    expect(readFileSync(ctx.ledger.file, 'utf8')).toBe('');
    expect(record.notes.at(-1)).toBe(
      'capture failed: nothing was injected, since the undo would lack its value',
    );
  });

  it('a captured value that is not one plain token is never put into the undo', async () => {
    const kube = cluster(2);
    kube.kubectlHandler = (ns, args) =>
      args[0] === 'get' ? { exitCode: 0, output: '2 --as=system:admin' } : kube.defaultKubectl(ns, args);
    const { ctx, spec } = await setUp(kube);
    const { record } = await kubectl.inject(spec, ctx);
    expect(record.confirmed).toBe(false);
    expect(kubectlCalls(kube)).toEqual([CAPTURE.join(' ')]);
    expect(kube.deployments.get(KEY)!.spec!.replicas).toBe(2);
    expect(record.notes.at(-1)).toMatch(/is not one plain token.*nothing was injected/);
  });

  it('an inject that fails leaves its entry open: the undo runs, whatever the command did', async () => {
    const kube = cluster(2);
    kube.kubectlHandler = (ns, args) =>
      args[0] === 'scale' && args.includes('--replicas=0')
        ? { exitCode: 1, output: 'error: timed out waiting for the scale\n' }
        : kube.defaultKubectl(ns, args);
    const { ctx, spec } = await setUp(kube);
    const { record } = await kubectl.inject(spec, ctx);
    expect(record.confirmed).toBe(false);
    expect(record.notes.at(-1)).toBe('inject failed (exit 1); the undo runs all the same');
    const open = ledgerOf(ctx.ledger.file).open;
    expect(open.map((i) => (i.undo as KubectlUndo).args)).toEqual([
      ['scale', 'deployment/feature-store', '--replicas=2'],
    ]);
  });

  it('in read-only mode the inject is refused before kubectl starts, and its entry is closed', async () => {
    const kube = new FakeKube(true);
    kube.addDeployment(makeDeployment({ name: 'feature-store', replicas: 2 }));
    const { ctx, spec } = await setUp(kube);
    const { record } = await kubectl.inject(spec, ctx);
    expect(record.confirmed).toBe(false);
    expect(kube.writes).toBe(0);
    expect(kube.deployments.get(KEY)!.spec!.replicas).toBe(2);
    expect(record.notes.at(-1)).toMatch(/refused a cluster write in read-only mode: kubectl scale/);
    expect(ledgerOf(ctx.ledger.file).open).toEqual([]);
  });

  it('checks the arguments again against the namespace the run really uses', async () => {
    const kube = cluster(2);
    const { ctx, spec } = await setUp(
      kube,
      { inject: [...INJECT, '--namespace', 'ml-serving'] },
      { namespace: 'other' },
    );
    const { record, mutations } = await kubectl.inject(spec, ctx);
    expect(record.confirmed).toBe(false);
    expect(mutations).toEqual([]);
    expect(kube.calls).toEqual([]);
    expect(record.notes).toEqual([
      `refused: inject[3]: namespace "ml-serving": a kubectl fault runs in the scenario's namespace (other); the harness sets --namespace`,
    ]);
  });

  it('redacts what it keeps of the output', async () => {
    const kube = cluster(2);
    kube.kubectlHandler = (ns, args) =>
      args[0] === 'scale' && args.includes('--replicas=0')
        ? { exitCode: 0, output: 'scaled; token s3cr3t-value\n' }
        : kube.defaultKubectl(ns, args);
    const { ctx, spec } = await setUp(kube);
    ctx.redact = makeRedactor(['s3cr3t-value']);
    const { record } = await kubectl.inject(spec, ctx);
    expect(JSON.stringify(record)).not.toContain('s3cr3t-value');
    expect(record.commands![1]!.output).toBe('scaled; token [REDACTED]\n');
  });
});

describe('kubectl fault: preview and undo', () => {
  it('preview prints every command and runs none', async () => {
    const kube = cluster(2);
    const { ctx, spec } = await setUp(kube, { confirm: CONFIRM });
    expect(await kubectl.preview(spec, ctx)).toEqual([
      'would read kubectl get deployment/feature-store -o jsonpath={.spec.replicas} (--namespace ml-serving); its output replaces {{captured}}',
      'would run kubectl scale deployment/feature-store --replicas=0 (--namespace ml-serving)',
      'would confirm with kubectl wait pod -l app=feature-store --for=delete --timeout=5s (within 60s)',
      'would undo with kubectl scale deployment/feature-store --replicas={{captured}} (journaled before the inject)',
    ]);
    expect(kube.calls).toEqual([]);
  });

  it('undo from a ledger record (chaos recover) scales back to the recorded count, twice without harm', async () => {
    const kube = cluster(0);
    const record: KubectlUndo = {
      fault: 'kubectl',
      v: 1,
      namespace: 'ml-serving',
      args: ['scale', 'deployment/feature-store', '--replicas=2'],
      timeoutMs: 30_000,
      cwd: '/tmp',
    };
    expect(await runUndo(kube.asKube(), record)).toBe(
      'kubectl scale deployment/feature-store --replicas=2 in ml-serving: deployment.apps/feature-store scaled',
    );
    expect(kube.deployments.get(KEY)!.spec!.replicas).toBe(2);
    await runUndo(kube.asKube(), record);
    expect(kube.deployments.get(KEY)!.spec!.replicas).toBe(2);
    expect(kube.callsTo('kubectl').map((a) => (a[2] as { write: boolean; cwd: string }).cwd)).toEqual([
      '/tmp',
      '/tmp',
    ]);
  });

  it('an undo kubectl refuses throws, so its entry stays open', async () => {
    const kube = new FakeKube();
    await expect(
      runUndo(kube.asKube(), {
        fault: 'kubectl',
        v: 1,
        namespace: 'ml-serving',
        args: ['scale', 'deployment/feature-store', '--replicas=2'],
        timeoutMs: 30_000,
        cwd: '/tmp',
      }),
    ).rejects.toThrow(
      'kubectl scale deployment/feature-store --replicas=2 in ml-serving: exit 1: Error from server (NotFound): deployments.apps "feature-store" not found',
    );
  });
});
