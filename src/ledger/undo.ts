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
  | { kind: 'stopLatencyAgent'; namespace: string; pod: string; container: string; expiresAt: string };

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
        if (apiStatus(error).code === 404)
          return `deployment ${undo.namespace}/${undo.name} no longer exists`;
        throw error;
      }
      return `restored the pod template of deployment ${undo.namespace}/${undo.name}`;
    }
    case 'stopLatencyAgent': {
      try {
        // SIGTERM to the agent's shell runs its cleanup trap: the rule goes, whichever mechanism it used.
        await kube.exec(undo.namespace, undo.pod, undo.container, ['sh', '-c', 'kill -TERM 1']);
      } catch (error) {
        const { code, message } = apiStatus(error);
        // A gone pod or an agent that already exited (TTL over) means the delay is already gone. "command
        // terminated with non-zero exit code" is how every failed exec reads: the kill failed, the agent may run.
        const gone = /not found|container not running|cannot exec|cgroup|completed|terminated/i.test(message);
        if (code === 404 || (gone && !/non-zero exit code/i.test(message))) {
          return `latency agent in ${undo.namespace}/${undo.pod} already gone (${message.split('\n')[0]})`;
        }
        throw error;
      }
      return `stopped the latency agent in ${undo.namespace}/${undo.pod}`;
    }
  }
}
