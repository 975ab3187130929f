/**
 * How each mutation is undone. Undo actions are plain data (they live in the ledger) and idempotent: running
 * one twice, or after the platform already undid it, is a no-op.
 */
import { PatchStrategy } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiStatus, type Kube } from '../adapters/kube.js';
import { AGENT_PID_FILE } from '../faults/latency.js';

/**
 * SIGTERM to the agent's own shell (its PID file), never to PID 1 of the pod: see AGENT_PID_FILE. The file
 * appears once the agent's trap is set, so wait a little for it.
 */
export const STOP_AGENT = `for i in $(seq 1 50); do [ -s ${AGENT_PID_FILE} ] && break; sleep 0.2; done; kill -TERM "$(cat ${AGENT_PID_FILE})"`;

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
      // The agent may still be starting (a run killed right after asking for it): wait for it to run or end,
      // rather than declaring it gone and letting it apply its delay afterwards.
      const deadline = Date.now() + 60_000;
      let signalled = false;
      for (;;) {
        let pod;
        try {
          pod = await kube.readPod(undo.namespace, undo.pod);
        } catch (error) {
          if (apiStatus(error).code === 404)
            return `pod ${undo.namespace}/${undo.pod} is gone, and its latency agent with it`;
          throw error;
        }
        if (!pod.spec?.ephemeralContainers?.some((c) => c.name === undo.container)) {
          return `latency agent ${undo.container} was never added to ${undo.namespace}/${undo.pod}`;
        }
        const state = pod.status?.ephemeralContainerStatuses?.find((c) => c.name === undo.container)?.state;
        if (state?.terminated) {
          return signalled
            ? `stopped the latency agent in ${undo.namespace}/${undo.pod}`
            : `latency agent in ${undo.namespace}/${undo.pod} already ended (${state.terminated.reason ?? 'exited'})`;
        }
        if (state?.running && !signalled) {
          // SIGTERM to the agent's shell runs its cleanup trap: the rule goes, whichever mechanism it used.
          try {
            await kube.exec(undo.namespace, undo.pod, undo.container, ['sh', '-c', STOP_AGENT]);
          } catch (error) {
            // The agent's TTL is the end of the fault window, so it often exits on its own just as we revert;
            // the exec then fails ("error executing setns process") while the pod status still says running.
            const ended = await endedMeanwhile(kube, undo);
            if (ended) return `latency agent in ${undo.namespace}/${undo.pod} already ended (${ended})`;
            throw error;
          }
          signalled = true;
          // Not done until the agent has exited: that is when its cleanup has run.
          continue;
        }
        if (Date.now() > deadline) {
          throw new Error(
            `latency agent in ${undo.namespace}/${undo.pod} ${signalled ? 'did not exit after SIGTERM' : 'neither ran nor ended'} within 60s`,
          );
        }
        await sleep(signalled ? 250 : 1000);
      }
    }
  }
}

/** After a failed exec: whether the agent is reported terminated within a few seconds (the kubelet lags). */
async function endedMeanwhile(
  kube: Kube,
  undo: Extract<UndoAction, { kind: 'stopLatencyAgent' }>,
): Promise<string | undefined> {
  for (let i = 0; i < 10; i++) {
    let pod;
    try {
      pod = await kube.readPod(undo.namespace, undo.pod);
    } catch (error) {
      if (apiStatus(error).code === 404) return 'pod gone';
      return undefined;
    }
    const state = pod.status?.ephemeralContainerStatuses?.find((c) => c.name === undo.container)?.state;
    if (state?.terminated) return state.terminated.reason ?? 'exited';
    await sleep(1000);
  }
  return undefined;
}
