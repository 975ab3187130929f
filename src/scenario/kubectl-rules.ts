/**
 * What a `kubectl` fault's argument lists may say. The harness gives every command `--context` and
 * `--namespace`; anything that would point kubectl at another cluster, other credentials or another namespace
 * is refused here, at validation, so a kubectl fault reaches no further than the built-in faults do. The same
 * check runs again before a run against the namespace it really uses (`chaos run --namespace`).
 */

/** Replaced in `undo` by the trimmed output of `capture`, read before the inject. */
export const CAPTURED = '{{captured}}';

export type KubectlStep = 'capture' | 'inject' | 'confirm' | 'undo';

/** Verbs a fault may use. Anything else (config, proxy, plugins, edit …) is not a fault on a namespace. */
export const KUBECTL_VERBS = [
  'annotate',
  'apply',
  'autoscale',
  'create',
  'delete',
  'exec',
  'get',
  'label',
  'patch',
  'replace',
  'rollout',
  'scale',
  'set',
  'wait',
] as const;

/** Steps that must only read: capture runs before the ledger holds anything, confirm is retried. */
const READ_VERBS: Partial<Record<KubectlStep, readonly string[]>> = {
  capture: ['get'],
  confirm: ['get', 'wait'],
};

const CLUSTER = 'the harness chooses the cluster and credentials (--context); a fault cannot change them';
/** Long flags that change where kubectl goes or who it is. */
const FORBIDDEN_LONG: Record<string, string> = {
  context: CLUSTER,
  kubeconfig: CLUSTER,
  cluster: CLUSTER,
  user: CLUSTER,
  server: CLUSTER,
  token: CLUSTER,
  as: 'impersonation: the fault runs as the harness, never as someone else',
  'as-group': 'impersonation: the fault runs as the harness, never as someone else',
  'as-uid': 'impersonation: the fault runs as the harness, never as someone else',
  username: CLUSTER,
  password: CLUSTER,
  'client-certificate': CLUSTER,
  'client-key': CLUSTER,
  'certificate-authority': CLUSTER,
  'insecure-skip-tls-verify': CLUSTER,
  'tls-server-name': CLUSTER,
  kuberc:
    'kubectl preferences (aliases, default flags) could rewrite the command; the harness turns them off',
  'all-namespaces': "reaches every namespace; a kubectl fault stays in the scenario's namespace",
};
const FORBIDDEN_SHORT: Record<string, string> = {
  A: FORBIDDEN_LONG['all-namespaces']!,
  s: CLUSTER,
};
/** Short flags known to take a value: in `-ojsonpath=…` the rest of the argument is that value. */
const VALUE_SHORT = new Set(['o', 'l', 'f', 'k', 'c', 'p', 'L', 'e']);

/**
 * Cluster-scoped kinds (names, plurals, short names): `--namespace` does not hold them, so a fault could reach
 * every namespace through them (`delete namespace kube-system`). Refused wherever they name a resource type.
 */
const CLUSTER_SCOPED = new Set([
  'namespace',
  'namespaces',
  'ns',
  'node',
  'nodes',
  'no',
  'persistentvolume',
  'persistentvolumes',
  'pv',
  'clusterrole',
  'clusterroles',
  'clusterrolebinding',
  'clusterrolebindings',
  'customresourcedefinition',
  'customresourcedefinitions',
  'crd',
  'crds',
  'storageclass',
  'storageclasses',
  'sc',
  'priorityclass',
  'priorityclasses',
  'pc',
  'validatingwebhookconfiguration',
  'validatingwebhookconfigurations',
  'mutatingwebhookconfiguration',
  'mutatingwebhookconfigurations',
  'validatingadmissionpolicy',
  'validatingadmissionpolicies',
  'validatingadmissionpolicybinding',
  'validatingadmissionpolicybindings',
  'apiservice',
  'apiservices',
  'certificatesigningrequest',
  'certificatesigningrequests',
  'csr',
  'runtimeclass',
  'runtimeclasses',
  'ingressclass',
  'ingressclasses',
  'volumeattachment',
  'volumeattachments',
  'csidriver',
  'csidrivers',
  'csinode',
  'csinodes',
  'flowschema',
  'flowschemas',
  'prioritylevelconfiguration',
  'prioritylevelconfigurations',
]);

/** The kind a positional argument names, if it is `type`, `type/name`, `type.group[/name]` or `a,b`. */
function clusterScopedKind(arg: string): string | undefined {
  for (const part of arg.split(',')) {
    const type = part.split('/')[0]!.split('.')[0]!.toLowerCase();
    if (CLUSTER_SCOPED.has(type)) return type;
  }
  return undefined;
}

export interface ArgIssue {
  /** Index in the argument list, or null for the list as a whole. */
  index: number | null;
  message: string;
}

export interface KubectlArgContext {
  namespace: string;
  step: KubectlStep;
  /** Whether the fault has a capture whose value {{captured}} can take. */
  hasCapture: boolean;
}

export function kubectlArgIssues(args: readonly string[], ctx: KubectlArgContext): ArgIssue[] {
  const issues: ArgIssue[] = [];
  const verb = args[0] ?? '';
  const allowed = READ_VERBS[ctx.step] ?? KUBECTL_VERBS;
  if (verb.startsWith('-')) issues.push({ index: 0, message: `put the verb first (${allowed.join(', ')})` });
  else if (!allowed.includes(verb))
    issues.push({
      index: 0,
      message: `"${verb}" is not a verb ${ctx.step} may use; expected one of ${allowed.join(', ')}`,
    });

  const namespaceValue = (value: string | undefined, index: number) => {
    if (value === undefined || value === '')
      issues.push({ index, message: 'a namespace flag without a value' });
    else if (value !== ctx.namespace)
      issues.push({
        index,
        message: `namespace "${value}": a kubectl fault runs in the scenario's namespace (${ctx.namespace}); the harness sets --namespace`,
      });
  };

  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    // After a bare `--` comes a command for a container (kubectl exec), not kubectl's own flags.
    if (arg === '--') break;
    if (!arg.startsWith('-')) {
      const kind = clusterScopedKind(arg);
      if (kind)
        issues.push({
          index: i,
          message: `"${kind}" is cluster-scoped: --namespace does not contain it, so a kubectl fault may not touch it`,
        });
    } else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const inline = eq < 0 ? undefined : arg.slice(eq + 1);
      const why = Object.hasOwn(FORBIDDEN_LONG, name) ? FORBIDDEN_LONG[name] : undefined;
      if (why) issues.push({ index: i, message: `--${name}: ${why}` });
      else if (name === 'namespace') {
        namespaceValue(inline ?? args[i + 1], i);
        if (inline === undefined) i++;
      } else if (
        (name === 'filename' || name === 'kustomize') &&
        /^https?:/i.test(inline ?? args[i + 1] ?? '')
      )
        issues.push({ index: i, message: `--${name}: a remote manifest cannot be checked; use a file` });
    } else if (arg.startsWith('-') && arg.length > 1) {
      const first = arg[1]!;
      const rest = arg.slice(2);
      if (Object.hasOwn(FORBIDDEN_SHORT, first))
        issues.push({ index: i, message: `-${first}: ${FORBIDDEN_SHORT[first]}` });
      else if (first === 'n') {
        const inline = rest.startsWith('=') ? rest.slice(1) : rest;
        namespaceValue(inline === '' ? args[i + 1] : inline, i);
        if (inline === '') i++;
      } else if (
        (first === 'f' || first === 'k') &&
        /^=?https?:/i.test(rest === '' ? (args[i + 1] ?? '') : rest)
      )
        issues.push({ index: i, message: `-${first}: a remote manifest cannot be checked; use a file` });
      else if (!VALUE_SHORT.has(first) && /[Ans]/.test(rest))
        issues.push({
          index: i,
          message: `${arg}: write short flags one per argument, so the namespace and cluster flags can be checked`,
        });
    }
  }

  args.forEach((arg, i) => {
    for (const m of arg.matchAll(/\{\{[^}]*\}\}/g)) {
      if (m[0] !== CAPTURED)
        issues.push({ index: i, message: `unknown placeholder ${m[0]}; the only one is ${CAPTURED}` });
      else if (ctx.step !== 'undo')
        issues.push({ index: i, message: `${CAPTURED} can only be used in undo` });
      else if (!ctx.hasCapture)
        issues.push({
          index: i,
          message: `${CAPTURED} needs a capture step to read the value before inject`,
        });
    }
  });
  return issues;
}

/**
 * The undo's arguments with the captured value in place. The value comes from the cluster, so it is held to
 * one plain token: it can complete an argument (`--replicas={{captured}}`) but never become a flag of its own.
 */
export function substituteCaptured(args: readonly string[], captured: string): string[] {
  if (!/^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,252}$/.test(captured))
    throw new Error(
      `captured value ${JSON.stringify(captured.slice(0, 80))} is not one plain token (letters, digits, . _ : / @ + -)`,
    );
  return args.map((a) => a.replaceAll(CAPTURED, captured));
}
