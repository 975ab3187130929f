/**
 * Rolls the target Deployment to another model version by setting one env var in its pod template, the way
 * a bad release would. The whole template is written to the ledger first; revert puts it back verbatim.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PatchStrategy } from '@kubernetes/client-node';
import { apiStatus } from '../adapters/kube.js';
import type { UndoRecord } from '../ledger/ledger.js';
import type { FaultSpec } from '../scenario/schema.js';
import { emptyRecord, mutate, type FaultPlugin, type Injection } from './fault.js';

type ModelVersionSpec = Extract<FaultSpec, { type: 'model-version' }>;

/** Version 1: the Deployment and its whole pod template as it was before the fault. */
export interface ModelVersionUndo extends UndoRecord {
  fault: 'model-version';
  v: 1;
  namespace: string;
  name: string;
  template: object;
}

export const modelVersion: FaultPlugin<ModelVersionSpec> = {
  type: 'model-version',

  preview(spec, ctx) {
    const name = ctx.plan.scenario.target.deployment!;
    return Promise.resolve([`would set ${spec.env}=${spec.version} on deployment ${ctx.namespace}/${name}`]);
  },

  async inject(spec, ctx): Promise<Injection> {
    const record = emptyRecord('model-version');
    const name = ctx.plan.scenario.target.deployment!;
    let deployment;
    try {
      deployment = await ctx.kube.readDeployment(ctx.namespace, name);
    } catch (error) {
      record.notes.push(`cannot read deployment ${ctx.namespace}/${name}: ${apiStatus(error).message}`);
      return { record, mutations: [] };
    }
    const template = deployment.spec!.template;
    const containers = template.spec?.containers ?? [];
    const ci = spec.container ? containers.findIndex((c) => c.name === spec.container) : 0;
    if (ci < 0 || !containers[ci]) {
      record.notes.push(`no container ${spec.container ?? '(first)'} in deployment ${name}`);
      return { record, mutations: [] };
    }
    const env = containers[ci].env ?? [];
    const ei = env.findIndex((e) => e.name === spec.env);
    const base = `/spec/template/spec/containers/${ci}/env`;
    const patch =
      env.length === 0
        ? [{ op: 'add', path: base, value: [{ name: spec.env, value: spec.version }] }]
        : ei < 0
          ? [{ op: 'add', path: `${base}/-`, value: { name: spec.env, value: spec.version } }]
          : [{ op: 'replace', path: `${base}/${ei}`, value: { name: spec.env, value: spec.version } }];
    const before = deployment.metadata?.generation ?? 0;
    const description = `set ${spec.env}=${spec.version} on deployment ${ctx.namespace}/${name}`;
    let mutation;
    // Stamped as the patch is sent, not when its answer arrives: the controller can start the new pod, and the
    // pod watch see it, before the API server's answer reaches us, and a pod seen before the fault's time does
    // not count as one of the fault's new pods.
    let sentAt = '';
    try {
      mutation = await mutate(
        ctx,
        'model-version',
        description,
        {
          fault: 'model-version',
          v: 1,
          namespace: ctx.namespace,
          name,
          template: JSON.parse(JSON.stringify(template)) as object,
        } satisfies ModelVersionUndo,
        async () => {
          sentAt = new Date().toISOString();
          await ctx.kube.patchDeployment(ctx.namespace, name, patch, PatchStrategy.JsonPatch);
        },
      );
    } catch (error) {
      const { code, message } = apiStatus(error);
      record.notes.push(`patch refused (${code ?? 'no status'}): ${message}`);
      return { record, mutations: [] };
    }
    record.injectedAt = sentAt;
    record.targets.push(`deployment/${ctx.namespace}/${name}`);
    ctx.log(`fault model-version: ${description}`);
    // Confirmed once the controller has seen the new template and started at least one pod from it.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !ctx.signal.aborted) {
      // The patch is made: from here on nothing may throw, or the run would lose the mutation to revert.
      const d = await ctx.kube.readDeployment(ctx.namespace, name).catch((error: unknown) => {
        record.notes.push(`reading the rollout: ${apiStatus(error).message}`);
        return null;
      });
      if (d && (d.status?.observedGeneration ?? 0) > before && (d.status?.updatedReplicas ?? 0) > 0) {
        record.confirmed = true;
        break;
      }
      await sleep(500);
    }
    if (!record.confirmed)
      record.notes.push('the rollout did not start a pod from the new template within 30s');
    record.description = description;
    return { record, mutations: [mutation] };
  },

  async undo(record, kube) {
    const { namespace, name, template } = record as ModelVersionUndo;
    try {
      // A JSON merge patch would keep env entries the fault added; replacing the template wholesale does not.
      await kube.patchDeployment(
        namespace,
        name,
        [{ op: 'replace', path: '/spec/template', value: template }],
        PatchStrategy.JsonPatch,
      );
    } catch (error) {
      if (apiStatus(error).code === 404) return `deployment ${namespace}/${name} no longer exists`;
      throw error;
    }
    return `restored the pod template of deployment ${namespace}/${name}`;
  },
};
