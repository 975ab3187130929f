/**
 * Triage evidence in the runbook's outside-in order: service → endpoints → pods → events → current and
 * previous container logs. Written as plain text files an on-call engineer can read in any order.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kube, Pod } from '../adapters/kube.js';

/** Per log file: enough for the error and its context, never a disk-filling dump. */
const LOG_LIMIT_BYTES = 32 * 1024;
const MAX_PODS = 12;
/** What the kubelet sends, as the log itself, for a container instance whose log it no longer has. */
const LOG_GONE = /^unable to retrieve container logs/;
const PREVIOUS_LOG_TRIES = 3;

export interface TriageInput {
  kube: Kube;
  namespace: string;
  selector: Record<string, string>;
  service?: string;
  /** Pods to fetch logs for first (those a fault touched or created). */
  focus?: string[];
  dir: string;
  /** The run's redactor: triage writes pod logs, which may echo a secret. */
  redact: (text: string) => string;
  /** Pause before asking again for a previous log the kubelet could not give; default 1 s. */
  retryDelayMs?: number;
}

export interface TriageResult {
  files: string[];
  /** Previous-container logs by pod, for SLOs that look for a line in them. */
  previousLogs: Record<string, string>;
}

export async function collectTriage(input: TriageInput): Promise<TriageResult> {
  const { kube, namespace, dir } = input;
  await mkdir(path.join(dir, 'logs'), { recursive: true });
  const files: string[] = [];
  const write = async (name: string, text: string) => {
    await writeFile(path.join(dir, name), input.redact(text));
    files.push(name);
  };
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | string> => {
    try {
      return await fn();
    } catch (error) {
      return `could not read ${what}: ${(error as Error).message}`;
    }
  };

  if (input.service) {
    const svc = await attempt('service', () => kube.readService(namespace, input.service!));
    await write(
      '1-service.txt',
      typeof svc === 'string'
        ? svc
        : [
            `service ${namespace}/${input.service}: type ${svc.spec?.type}, clusterIP ${svc.spec?.clusterIP}`,
            `selector: ${JSON.stringify(svc.spec?.selector ?? {})}`,
            ...(svc.spec?.ports ?? []).map(
              (p) =>
                `port ${p.port} → ${String(p.targetPort)}${p.nodePort ? ` (nodePort ${p.nodePort})` : ''}`,
            ),
          ].join('\n') + '\n',
    );
    const endpoints = await attempt('endpoints', () => kube.readyEndpoints(namespace, input.service!));
    await write(
      '2-endpoints.txt',
      typeof endpoints === 'string'
        ? endpoints
        : `${endpoints.length} ready address(es)${endpoints.length === 0 ? ' — the Service has NOTHING to send traffic to' : ''}\n${endpoints.join('\n')}\n`,
    );
  }

  const pods = await attempt('pods', () => kube.listPods(namespace, input.selector));
  await write('3-pods.txt', typeof pods === 'string' ? pods : describePods(pods));

  const events = await attempt('events', () => kube.listEvents(namespace));
  await write(
    '4-events.txt',
    typeof events === 'string'
      ? events
      : events
          .map((e) => ({
            e,
            t: new Date(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? 0).getTime(),
          }))
          .sort((a, b) => a.t - b.t)
          .map(
            ({ e, t }) =>
              `${new Date(t).toISOString()}  ${e.type ?? ''}  ${e.reason ?? ''}  ${e.involvedObject.kind}/${e.involvedObject.name}  ×${e.count ?? 1}  ${e.message ?? ''}`,
          )
          .join('\n') + '\n',
  );

  const previousLogs: Record<string, string> = {};
  if (typeof pods !== 'string') {
    const focus = new Set(input.focus ?? []);
    const ordered = [...pods].sort(
      (a, b) => Number(focus.has(b.metadata!.name!)) - Number(focus.has(a.metadata!.name!)),
    );
    for (const pod of ordered.slice(0, MAX_PODS)) {
      const name = pod.metadata!.name!;
      for (const container of pod.spec?.containers ?? []) {
        const current = await attempt('log', () =>
          kube.podLog(namespace, name, { container: container.name, limitBytes: LOG_LIMIT_BYTES }),
        );
        await write(`logs/${name}.${container.name}.current.log`, current);
        const restarted = pod.status?.containerStatuses?.some(
          (c) => c.name === container.name && (c.restartCount ?? 0) > 0,
        );
        if (restarted) {
          // The moment a crash-looping container dies again, the kubelet points --previous at the instance
          // it is pruning and answers "unable to retrieve container logs"; a second later it points at the
          // one that just crashed. Seen on the testbed as a false FAIL of a CrashLoopBackOff SLO.
          let previous = '';
          for (let tries = 1; ; tries++) {
            previous = await attempt('previous log', () =>
              kube.podLog(namespace, name, {
                container: container.name,
                previous: true,
                limitBytes: LOG_LIMIT_BYTES,
              }),
            );
            if (!LOG_GONE.test(previous) || tries === PREVIOUS_LOG_TRIES) break;
            await sleep(input.retryDelayMs ?? 1000);
          }
          // Every restarted container's previous log: a sidecar must not hide the model container's.
          previousLogs[name] = (previousLogs[name] ?? '') + input.redact(previous);
          await write(`logs/${name}.${container.name}.previous.log`, previous);
        }
      }
    }
  }
  return { files: files.map((f) => path.join('triage', f)), previousLogs };
}

export function describePods(pods: Pod[]): string {
  const lines = pods.map((p) => {
    const statuses = p.status?.containerStatuses ?? [];
    const ready = statuses.filter((c) => c.ready).length;
    const restarts = statuses.reduce((a, c) => a + (c.restartCount ?? 0), 0);
    const waiting = statuses
      .map((c) => c.state?.waiting?.reason)
      .filter(Boolean)
      .join(',');
    const last = statuses
      .map((c) => c.lastState?.terminated)
      .filter(Boolean)
      .map(
        (t) =>
          `${t!.reason ?? 'Terminated'} (exit ${t!.exitCode}) at ${t!.finishedAt ? new Date(t!.finishedAt).toISOString() : '?'}`,
      )
      .join(',');
    return [
      p.metadata?.name,
      `phase=${p.status?.phase}`,
      `ready=${ready}/${statuses.length}`,
      `restarts=${restarts}`,
      waiting ? `waiting=${waiting}` : '',
      last ? `last=${last}` : '',
      `node=${p.spec?.nodeName ?? '-'}`,
      p.metadata?.deletionTimestamp ? 'terminating' : '',
    ]
      .filter(Boolean)
      .join('  ');
  });
  return `${pods.length} pod(s)\n${lines.join('\n')}\n`;
}
