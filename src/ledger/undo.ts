/**
 * How each mutation is undone. Undo actions are plain data (they live in the ledger) and idempotent: running
 * one twice, or after the platform already undid it, is a no-op.
 */
import { PatchStrategy } from '@kubernetes/client-node';
import { apiStatus, type Kube } from '../adapters/kube.js';

export type UndoAction =
  | { kind: 'none'; reason: string }
  | { kind: 'uncordon'; node: string }
  | {
      kind: 'restoreDeployment';
      namespace: string;
      name: string;
      /** The whole pod template as it was before the fault. */
      template: object;
    }
  | { kind: 'removeNetem'; namespace: string; pod: string; container: string; iface: string; expiresAt: string };

export async function runUndo(kube: Kube, undo: UndoAction): Promise<string> {
  switch (undo.kind) {
    case 'none':
      return `nothing to undo (${undo.reason})`;
    case 'uncordon': {
      try {
        await kube.setUnschedulable(undo.node, false);
      } catch (error) {
        if (apiStatus(error).code === 404) return `node ${undo.node} no longer exists`;
        throw error;
      }
      return `uncordoned node ${undo.node}`;
    }
    case 'restoreDeployment': {
      try {
        // A JSON merge patch would keep env entries the fault added; replacing the template wholesale does not.
        await kube.patchDeployment(
          undo.namespace,
          undo.name,
          [{ op: 'replace', path: '/spec/template', value: undo.template }],
          PatchStrategy.JsonPatch,
        );
      } catch (error) {
        if (apiStatus(error).code === 404) return `deployment ${undo.namespace}/${undo.name} no longer exists`;
        throw error;
      }
      return `restored the pod template of deployment ${undo.namespace}/${undo.name}`;
    }
    case 'removeNetem': {
      try {
        await kube.exec(undo.namespace, undo.pod, undo.container, ['tc', 'qdisc', 'del', 'dev', undo.iface, 'root']);
      } catch (error) {
        const { code, message } = apiStatus(error);
        // Gone pod, finished agent, or a rule that already expired: each means the delay is no longer there.
        if (code === 404 || /not found|No such file|Cannot delete qdisc|container not found|not running|completed/i.test(message)) {
          return `netem on ${undo.namespace}/${undo.pod} already gone (${message.split('\n')[0]})`;
        }
        throw error;
      }
      return `removed netem from ${undo.namespace}/${undo.pod} (${undo.iface})`;
    }
  }
}
