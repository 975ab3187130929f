/**
 * The kubectl fault's argument guard: what reaches another cluster, other credentials or another namespace is
 * refused at validation, with the line and column of the offending argument. Line numbers refer to
 * test/fixtures/scenarios/valid.yaml with its pod-kill fault (lines 21-23) replaced by the kubectl fault below.
 */
import { describe, expect, it } from 'vitest';
import {
  kubectlArgIssues,
  substituteCaptured,
  type KubectlArgContext,
} from '../../../src/scenario/kubectl-rules.js';
import { VALID, edits, problems } from './helpers.js';

const FAULT = [
  '  - type: kubectl',
  '    capture: [get, deployment/feature-store, -o, "jsonpath={.spec.replicas}"]',
  '    inject: [scale, deployment/feature-store, --replicas=0]',
  '    undo: [scale, deployment/feature-store, "--replicas={{captured}}"]',
].join('\n');

/** The valid fixture with a kubectl fault and safety.allowKubectl, then the given edits. */
function withKubectl(...pairs: [string, string][]): string {
  return edits(
    VALID,
    ['  - type: pod-kill\n    at: 5s\n    count: 1', FAULT],
    ['  maxPods: 1', '  maxPods: 1\n  allowKubectl: true'],
    ...pairs,
  );
}

const INJECT = '    inject: [scale, deployment/feature-store, --replicas=0]';

describe('kubectl faults in a scenario file', () => {
  it('the valid one passes', () => {
    expect(problems(withKubectl())).toEqual([]);
  });

  it('are refused without safety.allowKubectl', () => {
    const text = edits(VALID, ['  - type: pod-kill\n    at: 5s\n    count: 1', FAULT]);
    expect(problems(text)).toEqual([
      '21:11: faults[0].type: kubectl faults run arbitrary kubectl commands in ml-serving: allow them with safety.allowKubectl: true',
    ]);
    expect(problems(withKubectl(['  allowKubectl: true', '  allowKubectl: false']))).toHaveLength(1);
  });

  it('--namespace kube-system, --context other and --kubeconfig are refused where they are written', () => {
    expect(
      problems(
        withKubectl([
          INJECT,
          '    inject: [scale, deployment/feature-store, --replicas=0, --namespace, kube-system]',
        ]),
      ),
    ).toEqual([
      `23:61: faults[0].inject[3]: namespace "kube-system": a kubectl fault runs in the scenario's namespace (ml-serving); the harness sets --namespace`,
    ]);
    expect(
      problems(
        withKubectl([
          INJECT,
          '    inject: [scale, deployment/feature-store, --replicas=0, --context, other]',
        ]),
      ),
    ).toEqual([
      '23:61: faults[0].inject[3]: --context: the harness chooses the cluster and credentials (--context); a fault cannot change them',
    ]);
    expect(
      problems(
        withKubectl([
          INJECT,
          '    inject: [scale, deployment/feature-store, --kubeconfig=/tmp/k, --replicas=0]',
        ]),
      ),
    ).toEqual([
      '23:47: faults[0].inject[2]: --kubeconfig: the harness chooses the cluster and credentials (--context); a fault cannot change them',
    ]);
  });

  it('{{captured}} needs a capture, and only undo may use it', () => {
    const noCapture = withKubectl([
      '    capture: [get, deployment/feature-store, -o, "jsonpath={.spec.replicas}"]\n',
      '',
    ]);
    expect(problems(noCapture)).toEqual([
      '23:45: faults[0].undo[2]: {{captured}} needs a capture step to read the value before inject',
    ]);
    expect(
      problems(
        withKubectl([INJECT, '    inject: [scale, deployment/feature-store, "--replicas={{captured}}"]']),
      ),
    ).toEqual(['23:47: faults[0].inject[2]: {{captured}} can only be used in undo']);
  });

  it('capture and confirm may only read', () => {
    expect(
      problems(
        withKubectl(
          ['    capture: [get,', '    capture: [delete,'],
          [INJECT, `${INJECT}\n    confirm: [scale, deploy/x, --replicas=1]`],
        ),
      ),
    ).toEqual([
      '22:15: faults[0].capture[0]: "delete" is not a verb capture may use; expected one of get',
      '24:15: faults[0].confirm[0]: "scale" is not a verb confirm may use; expected one of get, wait',
    ]);
  });
});

describe('kubectlArgIssues', () => {
  const inject: KubectlArgContext = { namespace: 'ml-serving', step: 'inject', hasCapture: false };
  const refused = (...args: string[]) => kubectlArgIssues(args, inject).map((x) => x.index);

  it('allows the scenario namespace, said any way kubectl reads it', () => {
    for (const args of [
      ['scale', 'deploy/x', '-n', 'ml-serving'],
      ['scale', 'deploy/x', '-nml-serving'],
      ['scale', 'deploy/x', '-n=ml-serving'],
      ['scale', 'deploy/x', '--namespace', 'ml-serving'],
      ['scale', 'deploy/x', '--namespace=ml-serving'],
    ])
      expect(kubectlArgIssues(args, inject), args.join(' ')).toEqual([]);
  });

  it('refuses another namespace, said any way kubectl reads it', () => {
    expect(refused('scale', 'deploy/x', '-n', 'kube-system')).toEqual([2]);
    expect(refused('scale', 'deploy/x', '-nkube-system')).toEqual([2]);
    expect(refused('scale', 'deploy/x', '-n=default')).toEqual([2]);
    expect(refused('scale', 'deploy/x', '--namespace=default')).toEqual([2]);
    expect(refused('scale', 'deploy/x', '--namespace')).toEqual([2]);
  });

  it('refuses every namespace, other clusters, credentials, impersonation and kuberc', () => {
    for (const flag of [
      '-A',
      '--all-namespaces',
      '--all-namespaces=true',
      '--context=x',
      '--kubeconfig=/k',
      '--cluster=c',
      '--user=u',
      '--server=https://h',
      '-s',
      '--token=t',
      '--as=admin',
      '--as-group=system:masters',
      '--as-uid=0',
      '--username=u',
      '--password=p',
      '--client-certificate=c',
      '--client-key=k',
      '--certificate-authority=ca',
      '--insecure-skip-tls-verify',
      '--tls-server-name=n',
      '--kuberc=/k',
    ])
      expect(refused('get', 'pods', flag), flag).toEqual([2]);
  });

  it('refuses short flags grouped with -A, -n or -s, but not values of flags that take one', () => {
    expect(refused('get', 'pods', '-wA')).toEqual([2]);
    expect(refused('get', 'pods', '-ojsonpath={.items[*].metadata.namespace}')).toEqual([]);
    expect(refused('get', 'pods', '-lapp=ns')).toEqual([]);
  });

  it('stops at -- : what follows is a command for the container', () => {
    expect(refused('exec', 'deploy/x', '--', 'kill', '-s', 'TERM', '1')).toEqual([]);
    expect(refused('exec', 'deploy/x', '-A', '--', 'kill')).toEqual([2]);
  });

  it('takes the verb first, from the list', () => {
    expect(refused('config', 'use-context', 'x')).toEqual([0]);
    expect(refused('proxy')).toEqual([0]);
    expect(refused('-n', 'ml-serving', 'scale')).toEqual([0]);
    expect(refused('some-plugin')).toEqual([0]);
  });

  it('refuses cluster-scoped kinds, which --namespace does not contain', () => {
    expect(refused('delete', 'namespace', 'kube-system')).toEqual([1]);
    expect(refused('delete', 'ns/kube-system')).toEqual([1]);
    expect(refused('patch', 'node', 'chaos-worker', '-p', '{}')).toEqual([1]);
    expect(refused('delete', 'clusterrolebindings.rbac.authorization.k8s.io/admin')).toEqual([1]);
    expect(refused('get', 'pods,nodes')).toEqual([1]);
    expect(refused('delete', 'CRD', 'x')).toEqual([1]);
    expect(refused('delete', 'pod', '-l', 'app=nodes')).toEqual([]);
    expect(refused('rollout', 'restart', 'deployment/feature-store')).toEqual([]);
  });

  it('refuses remote manifests', () => {
    expect(refused('apply', '-f', 'https://example.com/x.yaml')).toEqual([1]);
    expect(refused('apply', '--filename=http://example.com/x.yaml')).toEqual([1]);
    expect(refused('apply', '-f', 'policy.yaml')).toEqual([]);
  });

  it('knows one placeholder only', () => {
    const undo: KubectlArgContext = { namespace: 'ml-serving', step: 'undo', hasCapture: true };
    expect(kubectlArgIssues(['scale', 'deploy/x', '--replicas={{captured}}'], undo)).toEqual([]);
    expect(kubectlArgIssues(['scale', 'deploy/x', '--replicas={{replicas}}'], undo)).toEqual([
      { index: 2, message: 'unknown placeholder {{replicas}}; the only one is {{captured}}' },
    ]);
  });
});

describe('substituteCaptured', () => {
  it('completes an argument with the captured token', () => {
    expect(substituteCaptured(['scale', 'deploy/x', '--replicas={{captured}}'], '2')).toEqual([
      'scale',
      'deploy/x',
      '--replicas=2',
    ]);
  });

  it('refuses a value that could become a flag or several arguments', () => {
    for (const value of ['', '--namespace=kube-system', '2 --as=admin', '2\n3', '-A'])
      expect(() => substituteCaptured(['{{captured}}'], value), JSON.stringify(value)).toThrow(
        /is not one plain token/,
      );
  });
});
