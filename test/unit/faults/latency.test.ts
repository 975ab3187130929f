import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { latency } from '../../../src/faults/latency.js';
import {
  AGENT_PID_FILE,
  AGENT_STATE_FILE,
  agentScript,
  kubernetesEscape,
  STOP_AGENT,
} from '../../../src/faults/latency-agent.js';
import { runUndo } from '../../../src/faults/registry.js';
import { replayLedger } from '../../../src/ledger/ledger.js';
import type { ScenarioInput } from '../../../src/scenario/schema.js';
import { clock } from '../../fakes/clock.js';
import { apiError, FakeKube, podKey } from '../../fakes/kube.js';
import { faultContext, faultOf, makePlan, faultTestHooks, tempDir } from '../../fakes/scenario.js';

vi.mock('node:timers/promises', async (real) =>
  (await import('../../fakes/clock.js')).instantTimers(await real()),
);

const tmp = tempDir('chaos-latency-');
afterAll(() => tmp.cleanup());

describe('agentScript: a self-expiring agent, run by a real shell against stub tools', () => {
  let n = 0;
  /** A sandbox with stub tc/iptables/conntrack/node that log their arguments. */
  function sandbox(opts: { netem: boolean; iptables?: boolean }) {
    const dir = path.join(tmp.dir, `sh-${++n}`);
    const bin = path.join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const log = path.join(dir, 'calls.log');
    const stub = (name: string, body: string) => {
      writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >> ${log}\n${body}\n`);
      chmodSync(path.join(bin, name), 0o755);
    };
    stub('tc', opts.netem ? 'exit 0' : '[ "$2" = replace ] && exit 2; exit 0');
    stub('iptables', opts.iptables === false ? 'exit 1' : 'exit 0');
    stub('conntrack', 'exit 0');
    // The proxy: a long-running process the agent must kill when it cleans up.
    stub('node', `trap 'echo "node killed" >> ${log}; exit 0' TERM; while :; do sleep 0.05; done`);
    return { dir, bin, log, state: path.join(dir, 'state'), pid: path.join(dir, 'pid') };
  }

  function run(sb: ReturnType<typeof sandbox>, ttlS: number, opts: { term?: boolean } = {}) {
    const script = agentScript({ iface: 'eth0', port: 8080, delayMs: 300, jitterMs: 20, ttlS })
      .replaceAll(AGENT_STATE_FILE, sb.state)
      .replaceAll(AGENT_PID_FILE, sb.pid)
      // The proxy gets half a second to bind; the stub needs less.
      .replace('sleep 0.5', 'sleep 0.2')
      // An orphaned sleep must not hold our stdout open after a SIGTERM (in a pod it dies with the container).
      .replace(`sleep ${ttlS} & wait`, `sleep ${ttlS} >/dev/null 2>&1 & wait`);
    let agentPid = '';
    return new Promise<{
      code: number | null;
      out: string;
      pidFileHeld: boolean;
      calls: string[];
      state: string;
    }>((resolve, reject) => {
      const child = spawn('sh', ['-c', script], {
        env: { ...process.env, PATH: `${sb.bin}:${process.env.PATH}` },
      });
      let out = '';
      let stopping = false;
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (opts.term && out.includes('chaos-agent applied') && !stopping) {
          // What the revert runs in the agent's container.
          stopping = true;
          agentPid = readFileSync(sb.pid, 'utf8').trim();
          spawn('sh', ['-c', STOP_AGENT.replaceAll(AGENT_PID_FILE, sb.pid)]);
        }
      });
      child.on('error', reject);
      child.on('close', (code) =>
        resolve({
          code,
          out,
          pidFileHeld: agentPid === String(child.pid),
          calls: existsSync(sb.log) ? readFileSync(sb.log, 'utf8').trim().split('\n') : [],
          state: existsSync(sb.state) ? readFileSync(sb.state, 'utf8').trim() : '',
        }),
      );
    });
  }

  it('applies netem with the delay and jitter, reports it, and removes it when the TTL ends', async () => {
    const sb = sandbox({ netem: true });
    const r = await run(sb, 0);
    expect(r.code).toBe(0);
    expect(r.calls[0]).toBe('tc qdisc replace dev eth0 root netem delay 300ms 20ms distribution normal');
    expect(r.calls).toContain('tc qdisc del dev eth0 root');
    expect(r.calls.some((c) => c.startsWith('node'))).toBe(false);
    expect(r.out).toContain('chaos-agent applied: netem 300ms for 0s');
    expect(r.out).toContain('chaos-agent expired');
    expect(r.state).toBe('removed');
  });

  it('stops on the revert (SIGTERM to its own PID, never PID 1), cleans up and exits 0 long before its TTL', async () => {
    const sb = sandbox({ netem: true });
    const started = Date.now();
    const r = await run(sb, 3, { term: true });
    expect(Date.now() - started).toBeLessThan(2500);
    expect(r.pidFileHeld).toBe(true);
    expect(STOP_AGENT).not.toMatch(/kill -TERM 1\b/);
    expect(r.code).toBe(0);
    expect(r.out).toContain('chaos-agent removed');
    expect(r.out).not.toContain('chaos-agent expired');
    expect(r.calls).toContain('tc qdisc del dev eth0 root');
    expect(r.state).toBe('removed');
  });

  it('falls back to the delay proxy without netem, and takes the redirect and the proxy down again', async () => {
    const sb = sandbox({ netem: false });
    const r = await run(sb, 0);
    expect(r.code).toBe(0);
    expect(r.calls).toContain('node /opt/chaos/delay-proxy.mjs 15999 8080 300 20');
    expect(r.calls).toContain(
      'iptables -t nat -I PREROUTING -p tcp --dport 8080 -j REDIRECT --to-ports 15999',
    );
    expect(r.calls).toContain('conntrack -D -p tcp --dport 8080');
    expect(r.out).toContain('chaos-agent applied: proxy 300ms for 0s');
    expect(r.calls).toContain(
      'iptables -t nat -D PREROUTING -p tcp --dport 8080 -j REDIRECT --to-ports 15999',
    );
    expect(r.calls).toContain('node killed');
    expect(r.state).toBe('removed');
  });

  it('reports "failed" when neither mechanism can be set up', async () => {
    const sb = sandbox({ netem: false, iptables: false });
    const r = await run(sb, 0);
    expect(r.out).toContain('chaos-agent applied: failed');
  });

  it('omits the jitter clause without jitter', () => {
    const script = agentScript({ iface: 'eth1', port: 8080, delayMs: 150, jitterMs: 0, ttlS: 90 });
    expect(script).toContain('tc qdisc replace dev eth1 root netem delay 150ms 2>/dev/null');
    expect(script).not.toContain('distribution');
    expect(script).toContain('sleep 90 & wait $!');
    expect(script).toMatch(/trap '.*cleanup.*' TERM INT/);
  });
});

describe('latency.inject with the fake cluster', () => {
  const { contexts, T } = faultTestHooks({ prefix: 'chaos-latency-inject-', at: '2026-11-23T15:31:00.000Z' });

  function featureStore(n: number): FakeKube {
    const kube = new FakeKube();
    for (let i = 0; i < n; i++)
      kube.addPods({ name: `feature-store-${i}`, labels: { app: 'feature-store' } });
    kube.addPods({ name: 'fraud-scorer-a' });
    return kube;
  }

  async function delay(
    kube: FakeKube,
    fault: Record<string, unknown> = {},
    patch: Partial<ScenarioInput> = {},
    timeScale = 1,
    runId?: string,
  ) {
    const faults = [
      {
        type: 'latency',
        at: '10s',
        selector: { app: 'feature-store' },
        delay: '300ms',
        jitter: '20ms',
        ...fault,
      },
    ];
    const plan = makePlan({ faults: faults as ScenarioInput['faults'], ...patch }, { timeScale });
    const ctx = await faultContext(kube, plan, tmp.dir);
    if (runId) ctx.runId = runId;
    contexts.push(ctx);
    const injection = await latency.inject(faultOf(plan, 'latency'), ctx);
    return { ...injection, ctx };
  }

  it("names the agent with a valid container name whatever the run id (a game day's has a dot)", async () => {
    // Seen in-cluster: "gameday-weekly-a8866b.02" gave "chaos-latency-6b.02-…", which the API refused (422).
    const kube = featureStore(1);
    await delay(kube, {}, {}, 1, '20261123T183029-gameday-weekly-a8866b.02');
    const name = (kube.callsTo('addEphemeralContainer')[0]![2] as { name: string }).name;
    expect(name).toMatch(/^chaos-latency-866b02-[a-z0-9]+$/);
  });

  it('adds a NET_ADMIN agent to each selected ready pod and confirms it from inside the pod', async () => {
    const kube = featureStore(2);
    kube.addPods({ name: 'feature-store-9', labels: { app: 'feature-store' }, ready: false });
    const { record, mutations, ctx } = await delay(kube);
    const added = kube.callsTo('addEphemeralContainer');
    expect(added.map((a) => a[1])).toEqual(['feature-store-0', 'feature-store-1']);
    const container = added[0]![2] as {
      name: string;
      image: string;
      command: string[];
      securityContext: unknown;
    };
    expect(container.name).toMatch(/^chaos-latency-[a-z0-9]{6}-[a-z0-9]+$/);
    expect(container.name.length).toBeLessThanOrEqual(63);
    expect(container.image).toBe('chaos-testbed/netem:bookworm');
    expect(container.securityContext).toEqual({ capabilities: { add: ['NET_ADMIN'] } });
    // The fault window is 90 s and the fault starts 10 s into it: the agent lives 80 s.
    expect(container.command).toEqual([
      'sh',
      '-c',
      kubernetesEscape(agentScript({ iface: 'eth0', port: 8080, delayMs: 300, jitterMs: 20, ttlS: 80 })),
    ]);
    expect(record).toMatchObject({
      confirmed: true,
      injectedAt: new Date(T).toISOString(),
      targets: ['ml-serving/feature-store-0', 'ml-serving/feature-store-1'],
      description:
        '300ms ±20ms delay on 2/2 pod(s) matching {"app":"feature-store"} via tc netem, self-expiring after 80s',
    });
    expect(mutations.map((m) => m.undo)).toEqual([
      {
        fault: 'latency',
        v: 1,
        namespace: 'ml-serving',
        pod: 'feature-store-0',
        container: container.name,
        expiresAt: new Date(T + 80_000).toISOString(),
      },
      {
        fault: 'latency',
        v: 1,
        namespace: 'ml-serving',
        pod: 'feature-store-1',
        container: container.name,
        expiresAt: new Date(T + 80_000).toISOString(),
      },
    ]);
    expect(replayLedger(ctx.ledger.file, readFileSync(ctx.ledger.file, 'utf8')).open).toHaveLength(2);
    expect(ctx.lines).toEqual([`fault latency: ${record.description}`]);
  });

  it('scales the TTL with the time scale, or takes the fault’s own duration', async () => {
    const a = await delay(featureStore(1), {}, {}, 0.1);
    // fault window 9 s, at 1 s → 8 s
    expect(a.record.description).toMatch(/self-expiring after 8s$/);
    const b = await delay(featureStore(1), { duration: '30s' });
    expect(b.record.description).toMatch(/self-expiring after 30s$/);
  });

  it('names the proxy fallback and its port when the kernel has no netem', async () => {
    const kube = featureStore(1);
    kube.agentMechanism = 'proxy';
    const { record } = await delay(kube, { port: 9090 });
    expect(record.confirmed).toBe(true);
    expect(record.description).toContain('via delay proxy on port 9090 (kernel has no netem)');
  });

  it('respects safety.maxPods and safety.maxPercent', async () => {
    const kube = featureStore(5);
    await delay(kube, {}, { safety: { maxPods: 2 } });
    expect(kube.callsTo('addEphemeralContainer').map((a) => a[1])).toEqual([
      'feature-store-0',
      'feature-store-1',
    ]);
    const capped = featureStore(5);
    await delay(capped, {}, { safety: { maxPercent: '40%' } });
    expect(capped.callsTo('addEphemeralContainer')).toHaveLength(2);
  });

  it('zero matching pods: not confirmed, nothing written, no throw', async () => {
    const kube = featureStore(0);
    const { record, mutations } = await delay(kube);
    expect(record).toMatchObject({
      confirmed: false,
      injectedAt: null,
      description: 'delayed nothing: the selector matches no ready pod',
    });
    expect(mutations).toEqual([]);
    expect(kube.writes).toBe(0);
  });

  it('a refused agent (403): not confirmed, noted, its ledger entry closed', async () => {
    const kube = featureStore(1);
    kube.fail(
      'addEphemeralContainer',
      apiError(403, 'pods "feature-store-0" is forbidden: cannot patch resource "pods/ephemeralcontainers"'),
    );
    const { record, mutations, ctx } = await delay(kube);
    expect(record.confirmed).toBe(false);
    expect(record.notes[0]).toMatch(/^adding the netem agent to ml-serving\/feature-store-0 refused \(403\)/);
    expect(mutations).toEqual([]);
    expect(replayLedger(ctx.ledger.file, readFileSync(ctx.ledger.file, 'utf8')).open).toEqual([]);
    // Nothing to confirm: no exec into a pod that has no agent.
    expect(kube.callsTo('exec')).toEqual([]);
  });

  it('an agent that cannot set up either mechanism is not confirmed, but is still handed back to revert', async () => {
    const kube = featureStore(1);
    kube.agentMechanism = 'failed';
    const { record, mutations } = await delay(kube);
    expect(record.confirmed).toBe(false);
    expect(record.notes).toEqual(['latency agent in ml-serving/feature-store-0 not confirmed: failed']);
    expect(mutations).toHaveLength(1);
  });

  it('an agent that never starts (image pull failing) is given up on after 30 s', async () => {
    const kube = featureStore(1);
    kube.ephemeralState = 'waiting';
    const { record, mutations } = await delay(kube);
    expect(record.confirmed).toBe(false);
    expect(record.notes[0]).toMatch(
      /^latency agent in ml-serving\/feature-store-0 not confirmed: .*container not found/,
    );
    expect(Date.now() - T).toBeGreaterThan(30_000);
    expect(Date.now() - T).toBeLessThan(32_000);
    expect(mutations).toHaveLength(1);
  });

  it('stops waiting for confirmation when the run is interrupted', async () => {
    const kube = featureStore(1);
    kube.ephemeralState = 'waiting';
    const plan = makePlan({
      faults: [{ type: 'latency', selector: { app: 'feature-store' }, delay: '300ms' }],
    });
    const abort = new AbortController();
    const ctx = await faultContext(kube, plan, tmp.dir, { abort });
    contexts.push(ctx);
    abort.abort();
    const { record } = await latency.inject(faultOf(plan, 'latency'), ctx);
    expect(record.confirmed).toBe(false);
    expect(clock.sleeps).toEqual([]);
  });

  it('a failing pod list: not confirmed, never a throw', async () => {
    const kube = featureStore(2);
    kube.fail('listPods', new Error('the server is currently unable to handle the request'));
    const { record } = await delay(kube);
    expect(record.confirmed).toBe(false);
    expect(record.notes[0]).toContain('unable to handle the request');
  });

  it('the revert stops each agent and the delay is gone', async () => {
    const kube = featureStore(2);
    const { mutations } = await delay(kube);
    expect(kube.delayed).toEqual(
      new Set([podKey('ml-serving', 'feature-store-0'), podKey('ml-serving', 'feature-store-1')]),
    );
    for (const m of mutations) await runUndo(kube.asKube(), m.undo);
    expect(kube.delayed.size).toBe(0);
  });

  it('preview lists the pods and the TTL and writes nothing', async () => {
    const kube = featureStore(2);
    const plan = makePlan({
      faults: [{ type: 'latency', at: '10s', selector: { app: 'feature-store' }, delay: '300ms' }],
    });
    const ctx = await faultContext(kube, plan, tmp.dir);
    contexts.push(ctx);
    expect(await latency.preview(faultOf(plan, 'latency'), ctx)).toEqual([
      'would add 300ms netem delay to ml-serving/feature-store-0 for 80s',
      'would add 300ms netem delay to ml-serving/feature-store-1 for 80s',
    ]);
    expect(kube.writes).toBe(0);
  });
});

describe('kubernetesEscape', () => {
  it('keeps $$ intact through the kubelet expansion of $$ to $', () => {
    const script = agentScript({ iface: 'eth0', port: 8080, delayMs: 300, jitterMs: 0, ttlS: 10 });
    expect(script).toContain('echo $$ >');
    const escaped = kubernetesEscape(script);
    // What the kubelet does to a command: $$ → $ (its $(VAR) expansion does not apply to $(cat …)).
    expect(escaped.split('$$').join('$')).toBe(script);
  });
});
