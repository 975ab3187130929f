import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectTriage } from '../../../src/observe/triage.js';
import { FakeKube, makePod } from '../../fakes/kube.js';
import { tempDir } from '../../fakes/scenario.js';

const tmp = tempDir('chaos-triage-');
afterAll(() => tmp.cleanup());

const NS = 'ml-serving';
const GONE = 'unable to retrieve container logs for containerd://40a37e4fef83';
const CRASH = '{"level":"error","msg":"cannot serve model v404: model version v404 not found"}\n';

/** A crash-looping pod whose --previous log the kubelet cannot give for the first `goneFor` asks. */
function crashLooping(goneFor: number): { kube: FakeKube; previousAsks: () => number } {
  const kube = new FakeKube();
  kube.addPod(makePod({ name: 'scorer-new', labels: { app: 'fraud-scorer' }, restarts: 2, ready: false }));
  kube.logs.set(`${NS}/scorer-new/scorer`, CRASH);
  kube.logs.set(`${NS}/scorer-new/scorer/previous`, CRASH);
  let asks = 0;
  const real = kube.podLog.bind(kube);
  kube.podLog = async (namespace, name, opts) => {
    if (opts.previous && asks++ < goneFor) return GONE;
    return real(namespace, name, opts);
  };
  return { kube, previousAsks: () => asks };
}

async function triage(kube: FakeKube, dir: string) {
  return collectTriage({
    kube: kube.asKube(),
    namespace: NS,
    selector: { app: 'fraud-scorer' },
    dir,
    redact: (t) => t,
    retryDelayMs: 1,
  });
}

describe('collectTriage: previous logs', () => {
  it('asks again when the kubelet is between two instances of a crash-looping container', async () => {
    const { kube, previousAsks } = crashLooping(1);
    const dir = path.join(tmp.dir, 'once');
    const result = await triage(kube, dir);
    expect(previousAsks()).toBe(2);
    expect(result.previousLogs['scorer-new']).toBe(CRASH);
    expect(await readFile(path.join(dir, 'logs/scorer-new.scorer.previous.log'), 'utf8')).toBe(CRASH);
  });

  it('gives up after three asks and keeps what the kubelet said, which no SLO mistakes for the log', async () => {
    const { kube, previousAsks } = crashLooping(Infinity);
    const result = await triage(kube, path.join(tmp.dir, 'never'));
    expect(previousAsks()).toBe(3);
    expect(result.previousLogs['scorer-new']).toBe(GONE);
  });
});
