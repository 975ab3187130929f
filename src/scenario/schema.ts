/**
 * The scenario language. Strict everywhere: an unknown key is a typo until proven otherwise, and a typo in a
 * chaos experiment must never silently become "no SLO" or "no safety limit".
 *
 * Durations and percentages are parsed here, once: the parsed scenario holds a Duration (ms) and a Percent
 * (ratio), each with the author's text for messages. The transforms sit on leaves only, so `chaos schema`
 * still exports the input side (strings like "30s") as JSON Schema for editors. A default of anything holding
 * one is a `prefault`: an input value, parsed like one, and the only kind of default that export shows.
 */
import { z } from 'zod';
import {
  AnswerPath,
  ANSWER_PATH_MESSAGE,
  ANSWER_PATH_PATTERN,
  answerPathProblem,
  NESTED_WILDCARD_MESSAGE,
} from './answer-path.js';
import {
  defaultModelVersion,
  defaultResponse,
  metadataUrl,
  PROTOCOLS,
  V2_DATATYPES,
  type ModelVersionSource,
  type Protocol,
} from './protocol.js';
import { Duration, DURATION_PATTERN, Percent, PERCENT_PATTERN } from './units.js';

/** The message for a value of the wrong type; `undefined` keeps the default, which the loader turns into "required". */
const expecting = (message: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? undefined : message;
const DURATION_MESSAGE = 'expected a duration like 250ms, 30s, 2m or 1h';
const PERCENT_MESSAGE = 'expected a percentage like 1% or 0.5%';
const ENV_NAME_MESSAGE = 'expected an environment variable name (A-Z, 0-9, _; not starting with a digit)';
export const duration = z
  .string({ error: expecting(DURATION_MESSAGE) })
  .regex(DURATION_PATTERN, DURATION_MESSAGE)
  .describe('Duration: 250ms, 30s, 2m, 1h')
  .transform((text) => Duration.parse(text));
const percent = z
  .string({ error: expecting(PERCENT_MESSAGE) })
  .regex(PERCENT_PATTERN, PERCENT_MESSAGE)
  .describe('Percentage, e.g. 1%')
  .transform((text) => Percent.parse(text));
const answerPath = z
  .string({ error: expecting(ANSWER_PATH_MESSAGE) })
  // The pattern for editors (JSON Schema); what it cannot say (a nested wildcard mid-path) is checked after it.
  .regex(ANSWER_PATH_PATTERN, { message: ANSWER_PATH_MESSAGE, abort: true })
  .refine((text) => answerPathProblem(text) === null, { message: NESTED_WILDCARD_MESSAGE })
  .describe('Path in the response body, e.g. predictions[*].score')
  .transform((text) => AnswerPath.parse(text));
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, ENV_NAME_MESSAGE);
export const dnsLabel = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    'expected a lowercase DNS label (a-z, 0-9, -), at most 63 chars',
  );
const labelKey = z
  .string()
  .regex(
    /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
    'expected a Kubernetes label key',
  );
const labelValue = z
  .string()
  .regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, 'expected a Kubernetes label value');
const selector = z.record(labelKey, labelValue).describe('Kubernetes label selector (matchLabels)');
const count = z.number().int().positive().max(10_000);
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

export const PROMQL_REDUCERS = ['max', 'min', 'avg', 'last', 'quantile'] as const;
const promMetricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'expected a Prometheus metric name');
const promLabelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'expected a Prometheus label name');

export const WINDOW_NAMES = ['baseline', 'fault', 'recovery', 'all'] as const;
const window = z.enum(WINDOW_NAMES).default('all').describe('Which window the SLO judges');
// Answers are compared with the baseline window's: a quality SLO on 'all' would compare it with itself in part.
const qualityWindow = z
  .enum(WINDOW_NAMES)
  .default('fault')
  .describe('Which window is compared with the baseline');
/** Shift bins divide a fixed grid of this many cells over the score range (src/load/answers.ts). */
export const SCORE_CELLS = 1000;

const metadata = z.strictObject({
  name: dnsLabel.describe('Scenario name; used in report directory names'),
  description: z.string().max(2000).default(''),
  labels: z.record(labelKey, labelValue).default({}),
});

const modelName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/,
    'expected a model name or version: letters, digits, _ . - (it goes into the URL path)',
  );
const headerName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/, 'expected an HTTP header name like X-Model-Version');

const target = z
  .strictObject({
    namespace: dnsLabel,
    selector: selector.describe('Selects the pods under test'),
    url: httpUrl.describe(
      "json: the endpoint the load is POSTed to; v2, v1: the server's base URL (the model's paths are added to it)",
    ),
    protocol: z
      .enum(PROTOCOLS)
      .default('json')
      .describe(
        'How requests and answers are shaped: json (the sample\'s {"features": [[...]]}), v2 (Open Inference Protocol), v1 (KServe V1)',
      ),
    model: z
      .strictObject({
        name: modelName.describe(
          'The model the v2/v1 paths name: /v2/models/{name}/infer, /v1/models/{name}:predict',
        ),
        version: modelName
          .optional()
          .describe("v2: pin a version, /v2/models/{name}/versions/{version}/infer; default: the server's"),
        input: z.string().min(1).max(256).default('input-0').describe("v2: the input tensor's name"),
        datatype: z.enum(V2_DATATYPES).default('FP32').describe("v2: the input tensor's datatype"),
        outputs: z
          .array(z.string().min(1).max(256))
          .min(1)
          .max(50)
          .optional()
          .describe(
            "v2: outputs to ask for by name (e.g. [predict, predict_proba]); default: none named, the server's own",
          ),
      })
      .optional()
      .describe('The model under test (protocol v2 and v1; name required there)'),
    versionUrl: httpUrl
      .optional()
      .describe(
        "GET endpoint naming the model version before the run (json: {modelVersion}); v2 default: the model's metadata URL",
      ),
    modelVersion: z
      .strictObject({
        header: headerName
          .optional()
          .describe('Response header naming the model version; json default: X-Model-Version'),
        field: answerPath
          .optional()
          .describe("Path of the model version in each answer's body; v2 default: model_version"),
        urlField: answerPath
          .optional()
          .describe(
            "Path of the model version in versionUrl's JSON answer; json default: modelVersion, v2: versions[0]",
          ),
      })
      .optional()
      .describe('Where the model version is read, for the modelVersion SLO; defaults by protocol'),
    deployment: dnsLabel.optional().describe('Deployment behind the selector (recovery, rollout faults)'),
    service: dnsLabel.optional().describe('Service in front of the pods (endpoint checks)'),
    response: z
      .strictObject({
        score: answerPath.optional().describe('Numeric score(s) of an answer, e.g. predictions[*].score'),
        class: answerPath.optional().describe('Class label(s) of an answer, e.g. predictions[*].label'),
        scoreColumn: z
          .number()
          .int()
          .min(0)
          .max(10_000)
          .optional()
          .describe(
            'The score path finds rows (nested arrays, or a V2 tensor {shape, data} in row-major order): take this column of each row',
          ),
        scoreRange: z
          .tuple([z.number(), z.number()])
          .default([0, 1])
          .describe('Range of the score, [low, high]: the prediction-shift bins divide it evenly'),
      })
      .optional()
      .describe(
        "Where the model's answers are in a response body, for the prediction-quality SLOs; default: by protocol (json: the sample's)",
      ),
    traces: z
      .strictObject({
        url: httpUrl.describe("The trace backend's query API (Jaeger), e.g. http://127.0.0.1:30686"),
        bearerTokenEnv: envName
          .optional()
          .describe(
            'Environment variable holding a bearer token for it; redacted everywhere, like load.secretEnv',
          ),
        exemplars: z
          .number()
          .int()
          .min(1)
          .max(10)
          .default(3)
          .describe('Traces fetched and summarised per failing or inconclusive SLO'),
      })
      .optional()
      .describe(
        'Trace context on every request (W3C traceparent), and exemplar traces of the slowest and failed requests as evidence for a failing SLO',
      ),
  })
  .transform(withProtocolDefaults);

const steadyStateCheck = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('readyReplicas'),
    min: count.describe('At least this many Ready replicas of target.deployment'),
  }),
  z.strictObject({
    type: z.literal('endpoints'),
    min: count.describe('At least this many ready addresses behind target.service'),
  }),
  z.strictObject({
    type: z.literal('http'),
    url: httpUrl.optional().describe('Defaults to target.versionUrl'),
    status: z.number().int().min(100).max(599).default(200),
  }),
]);

const stage = z.strictObject({ duration, target: z.number().int().min(0).max(100_000) });

const runnerSettings = z.strictObject({
  count: z.number().int().min(1).max(100).describe('How many k6 pods share the load'),
  namespace: z.string().min(1).optional().describe('Where the runner pods go; default: the run namespace'),
  nodeSelector: z.record(labelKey, labelValue).optional().describe('Nodes the runner pods may run on'),
  image: z
    .string()
    .min(1)
    .optional()
    .describe('An image with k6 and node; default: the harness image (deploy/build-harness-image.sh)'),
  cpu: z.string().min(1).optional().describe('CPU request and limit per runner (default 250m)'),
  memory: z.string().min(1).optional().describe('Memory request and limit per runner (default 256Mi)'),
  targetOrigin: httpUrl
    .optional()
    .describe(
      "The target's in-cluster origin the runners send to, e.g. http://fraud-scorer.ml-serving.svc:80; default: target.url's",
    ),
});

const runners = z
  .union([z.number().int().min(1).max(100), runnerSettings])
  .optional()
  .describe('Run the load as this many k6 pods in the cluster (or these settings), judged as one');

/** k6's experimental-prometheus-rw output, and the harness's fault markers, to a remote-write endpoint. */
const remoteWrite = z.strictObject({
  url: httpUrl.describe('Remote-write endpoint, e.g. http://127.0.0.1:30900/api/v1/write'),
  bearerTokenEnv: envName
    .optional()
    .describe('Environment variable holding a bearer token; redacted everywhere, like secretEnv'),
  basicAuth: z
    .strictObject({
      username: z.string().min(1),
      passwordEnv: envName.describe('Environment variable holding the password; redacted everywhere'),
    })
    .optional(),
  headers: z
    .record(
      z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, 'expected an HTTP header name'),
      z.string().regex(/^[^\r\n]*$/, 'expected a header value on one line'),
    )
    .default({})
    .describe('Extra request headers, e.g. X-Scope-OrgID (not secret: use bearerTokenEnv or basicAuth)'),
  insecureSkipVerify: z.boolean().default(false),
  pushInterval: duration.prefault('5s').describe('How often k6 and the fault markers push'),
  nativeHistograms: z
    .boolean()
    .default(true)
    .describe(
      "k6's trends as native histograms (Prometheus ≥ 2.40 with --enable-feature=native-histograms); false: p(95)/p(99)/avg… gauges",
    ),
});

const load = z.strictObject({
  runners,
  script: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Your own k6 script (.js or .ts), run under this load profile; default: the built-in scoring profile',
    ),
  exec: z
    .string()
    .regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/, 'must be the name of a function the script exports')
    .optional()
    .describe("The script's exported function to run each iteration; default: its default export"),
  executor: z
    .enum(['constant-arrival-rate', 'ramping-arrival-rate', 'constant-vus', 'ramping-vus'])
    .default('constant-arrival-rate'),
  rate: z.number().int().positive().max(100_000).optional().describe('Iterations per second (arrival-rate)'),
  vus: z.number().int().positive().max(10_000).optional(),
  maxVUs: z.number().int().positive().max(10_000).optional(),
  stages: z.array(stage).max(100).optional(),
  payload: z
    .strictObject({
      rows: z.number().int().positive().max(100_000).default(1),
      features: z.number().int().positive().max(1000).default(8),
      file: z
        .string()
        .min(1)
        .optional()
        .describe('JSON file with {"features": [[...]]}, relative to the scenario'),
    })
    .default({ rows: 1, features: 8 }),
  golden: z
    .strictObject({
      file: z
        .string()
        .min(1)
        .describe('JSON {"features": [[...]], "labels": [...]} (labels optional), relative to the scenario'),
      every: z
        .number()
        .int()
        .min(2)
        .max(10_000)
        .default(10)
        .describe('One golden request (one row) every N iterations, cycling through the rows'),
    })
    .optional()
    .describe('Golden replay: fixed rows sent in every window, whose answers are compared with the baseline'),
  thresholds: z
    .record(z.string().min(1), z.array(z.string().min(1)).min(1))
    .optional()
    .describe('Extra k6 thresholds, e.g. {"http_req_duration": ["p(95)<250"]}'),
  newConnectionPerRequest: z
    .boolean()
    .default(false)
    .describe(
      'Open a TCP connection per request, like many independent clients (reused sockets pin one pod)',
    ),
  env: z.record(envName, z.string()).default({}),
  secretEnv: z
    .array(envName)
    .default([])
    .describe('Names of environment variables passed to k6 from your environment and redacted everywhere'),
  remoteWrite: remoteWrite
    .optional()
    .describe(
      "Send k6's metrics and fault markers (chaos_fault_active) to a Prometheus remote-write endpoint",
    ),
});

const windows = z.strictObject({ baseline: duration, fault: duration, recovery: duration });

const faultAt = duration.prefault('0s').describe('Offset from the start of the fault window');

const podKill = z.strictObject({
  type: z.literal('pod-kill'),
  at: faultAt,
  count: count.optional(),
  percent: percent.optional(),
  gracePeriod: duration.optional().describe('Default: the pod’s own terminationGracePeriodSeconds'),
  interval: duration.optional().describe('Repeat the kill at this interval'),
  repeat: z.number().int().positive().max(100).default(1),
  waitReady: z
    .boolean()
    .default(true)
    .describe(
      'Before each repeat, also wait until as many target pods are Ready as before the first kill (until the fault window ends): a kill that lands mid-replacement tests two failures at once',
    ),
});

const nodeDrain = z.strictObject({
  type: z.literal('node-drain'),
  at: faultAt,
  node: z.string().min(1).optional().describe('Default: the node running most target pods'),
  evictionTimeout: duration.prefault('120s').describe('Give up on evictions a PDB keeps blocking after this'),
  backoff: duration.prefault('2s'),
});

const latency = z.strictObject({
  type: z.literal('latency'),
  at: faultAt,
  selector: selector.describe('Pods whose egress is delayed (e.g. the feature store)'),
  namespace: dnsLabel.optional().describe('Default: target.namespace'),
  delay: duration,
  jitter: duration.optional(),
  duration: duration
    .optional()
    .describe('How long the rule lives (self-expiring); default: the fault window'),
  image: z
    .string()
    .min(1)
    .default('chaos-testbed/netem:bookworm')
    .describe('Agent image: sh, tc, iptables, conntrack, node'),
  interface: z
    .string()
    .regex(/^[a-z0-9]{1,15}$/, 'expected a network interface name like eth0 (a-z, 0-9, at most 15 chars)')
    .default('eth0'),
  port: z
    .number()
    .int()
    .min(1)
    .max(65535)
    .optional()
    .describe('Port the proxy fallback delays; default: the first container port'),
});

const modelVersion = z.strictObject({
  type: z.literal('model-version'),
  at: faultAt,
  version: z
    .string()
    .min(1)
    .describe('The model version to roll out (e.g. one whose artifact does not exist)'),
  env: envName.default('MODEL_VERSION'),
  container: dnsLabel.optional().describe('Default: the first container'),
});

const oversizeBatch = z.strictObject({
  type: z.literal('oversize-batch'),
  at: faultAt,
  rows: z.number().int().positive().max(1_000_000).default(1000),
  every: z
    .number()
    .int()
    .positive()
    .max(10_000)
    .default(10)
    .describe('One oversize request every N iterations'),
  refusedWith: z
    .array(z.number().int().min(100).max(599))
    .min(1)
    .max(20)
    .default([413])
    .describe(
      "Statuses that are the right refusal of an oversize batch (not errors); default [413], the sample's. Any other answer counts as an error",
    ),
});

const kubectlArgs = z
  .array(z.string().min(1).max(4096))
  .min(1)
  .max(100)
  .describe(
    'kubectl arguments, verb first, one list item per argument (no shell); the harness adds --context and --namespace',
  );

const kubectl = z.strictObject({
  type: z.literal('kubectl'),
  at: faultAt,
  capture: kubectlArgs
    .optional()
    .describe(
      'A `get` run before inject (e.g. -o jsonpath={.spec.replicas}); its output replaces {{captured}} in undo',
    ),
  inject: kubectlArgs.describe('What makes the fault, e.g. [scale, deployment/feature-store, --replicas=0]'),
  confirm: kubectlArgs
    .optional()
    .describe('Exit 0 says the fault is in place; retried every second until confirmWithin'),
  undo: kubectlArgs.describe('What puts it back; journaled before inject runs, so recover runs it too'),
  timeout: duration.prefault('30s').describe('Per kubectl command'),
  confirmWithin: duration
    .prefault('60s')
    .describe('Give up confirming after this (the fault is then INCONCLUSIVE)'),
});

export const FAULT_TYPES = [
  'pod-kill',
  'node-drain',
  'latency',
  'model-version',
  'oversize-batch',
  'kubectl',
] as const;
const fault = z.discriminatedUnion('type', [
  podKill,
  nodeDrain,
  latency,
  modelVersion,
  oversizeBatch,
  kubectl,
]);

const statusClass = z
  .string()
  .regex(/^([1-5]xx|[1-5][0-9]{2})$/, 'expected a status like 413 or a class like 5xx');

const slo = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('latency'),
    percentile: z.union([z.literal(50), z.literal(90), z.literal(95), z.literal(99)]).default(95),
    max: duration,
    window,
  }),
  z.strictObject({ type: z.literal('errorRate'), max: percent, window }),
  z.strictObject({
    type: z.literal('availability'),
    maxGap: duration.describe('Longest allowed stretch without a successful response'),
    window,
  }),
  z.strictObject({
    type: z.literal('throughput'),
    min: z.number().positive().describe('requests/s'),
    window,
  }),
  z.strictObject({
    type: z.literal('recovery'),
    within: duration.describe('Fault → all replicas Ready and endpoints full'),
    readyReplicas: count.optional().describe('Default: the Deployment’s desired replicas'),
  }),
  z.strictObject({ type: z.literal('minReadyReplicas'), min: count, window }),
  z.strictObject({ type: z.literal('restarts'), max: z.number().int().min(0) }),
  z.strictObject({ type: z.literal('oomKilled'), max: z.number().int().min(0).default(0) }),
  z.strictObject({
    type: z.literal('podState'),
    reason: z.string().min(1).describe('e.g. CrashLoopBackOff'),
    pods: z.enum(['new', 'any']).default('new').describe('new: pods created after the fault'),
    logContains: z.string().min(1).optional().describe('Text expected in the previous container log'),
  }),
  z.strictObject({
    type: z.literal('httpStatus'),
    payload: z.enum(['normal', 'oversize', 'any']).default('any'),
    expect: z.array(statusClass).min(1).optional().describe('Every response must have one of these'),
    never: z.array(statusClass).min(1).optional().describe('No response may have one of these'),
    window,
  }),
  z.strictObject({
    type: z.literal('modelVersion'),
    expect: z.string().min(1).default('unchanged').describe('"unchanged" or a version'),
    window,
  }),
  z.strictObject({
    type: z.literal('predictionAgreement'),
    min: percent.describe('Least share of golden answers that agree with their baseline answer'),
    tolerance: z
      .number()
      .min(0)
      .default(0.01)
      .describe('Largest score difference that still agrees (the class must be equal)'),
    window: qualityWindow,
  }),
  z.strictObject({
    type: z.literal('predictionShift'),
    max: z.number().positive().describe('Largest population stability index (PSI) against the baseline'),
    on: z.enum(['score', 'class']).default('score').describe('Score histogram or class shares'),
    bins: z
      .number()
      .int()
      .min(2)
      .max(100)
      .refine(
        (b) => SCORE_CELLS % b === 0,
        `must divide ${SCORE_CELLS} (2, 4, 5, 8, 10, 20, 25, 40, 50, 100)`,
      )
      .default(10)
      .describe('Equal-width bins over target.response.scoreRange (on: score)'),
    window: qualityWindow,
  }),
  z.strictObject({
    type: z.literal('promql'),
    url: httpUrl.optional().describe('The Prometheus to ask; default: prometheus.url'),
    query: z
      .string()
      .min(1)
      .describe('PromQL; $window stands for the window’s length (e.g. increase(x[$window]) with instant)'),
    max: z.number().optional(),
    min: z.number().optional(),
    window,
    reduce: z
      .enum(PROMQL_REDUCERS)
      .default('max')
      .describe('How the range query’s samples over the window become one number'),
    quantile: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe('With reduce: quantile, which quantile over time (e.g. 0.95)'),
    instant: z
      .boolean()
      .default(false)
      .describe('Evaluate once at the window’s end, for expressions that carry their own range'),
  }),
  z.strictObject({
    type: z.literal('scaling'),
    fromRate: z
      .number()
      .positive()
      .max(100_000)
      .optional()
      .describe(
        'Measure from the first second the load reaches this many requests/s; default: from the window’s start',
      ),
    within: duration
      .optional()
      .describe('Longest allowed time from there to the first additional replica Ready'),
    window,
  }),
]);

/** A stop condition's look-back: at least a second (the load is measured per second), at most a minute. */
const lookBack = z
  .string({ error: expecting(DURATION_MESSAGE) })
  .regex(DURATION_PATTERN, { message: DURATION_MESSAGE, abort: true })
  .refine((text) => {
    const ms = Duration.parse(text).ms;
    return ms >= 1000 && ms <= 60_000;
  }, 'expected a look-back from 1s to 60s')
  .describe('Sliding window: the complete seconds before now, 1s to 60s')
  .transform((text) => Duration.parse(text));

/** What stops a run early: checked twice a second from load start to the end of the fault window. */
const stopCondition = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('errorRate'),
    above: percent.describe('Stop when the share of failed requests exceeds this'),
    over: lookBack,
  }),
  z.strictObject({
    type: z.literal('p95'),
    above: duration.describe('Stop when the p95 latency exceeds this'),
    over: lookBack,
  }),
  z.strictObject({
    type: z.literal('readyReplicas'),
    below: count.describe('Stop when fewer target pods than this are Ready'),
  }),
  z.strictObject({
    type: z.literal('promql'),
    url: httpUrl.describe('Prometheus base URL'),
    query: z.string().min(1).describe('An instant query returning one number'),
    above: z.number().describe('Stop when the query returns more than this'),
  }),
]);
/** Where server-side truth comes from: a Prometheus scraping the target, and its metric names. */
const prometheus = z.strictObject({
  url: httpUrl.describe('The Prometheus server to query, e.g. http://127.0.0.1:30900'),
  bearerTokenEnv: envName
    .optional()
    .describe('Environment variable holding a bearer token; redacted everywhere, like load.secretEnv'),
  tls: z
    .strictObject({
      caFile: z.string().min(1).optional().describe('PEM CA bundle to trust, relative to the scenario'),
      insecureSkipVerify: z.boolean().default(false),
    })
    .optional(),
  scrapeInterval: duration.prefault('5s').describe('The range-query step; the server’s scrape interval'),
  metrics: z
    .strictObject({
      requests: promMetricName
        .default('http_requests_total')
        .describe('Counter of handled requests, labelled by status code'),
      statusLabel: promLabelName.default('code'),
      latency: promMetricName
        .default('http_request_duration_seconds')
        .describe('Histogram of request durations (<name>_bucket with le)'),
      selector: z
        .string()
        .regex(/^\{.*\}$/s, 'expected label matchers in braces, e.g. {namespace="ml-serving"}')
        .default('{}')
        .describe('Label matchers selecting the target’s series'),
    })
    .prefault({}),
  reconcile: z
    .strictObject({
      maxUnexplained: percent
        .prefault('1%')
        .describe(
          'Flag a gap between sent and counted requests beyond k6’s connection errors above this share',
        ),
    })
    .prefault({}),
});

const safety = z.strictObject({
  allowedNamespaces: z.array(dnsLabel).min(1).optional(),
  allowedContexts: z.array(z.string().min(1)).optional(),
  maxPods: count.optional().describe('Never touch more pods than this'),
  maxPercent: percent.optional().describe('Never touch more than this share of the selected pods'),
  allowKubectl: z
    .boolean()
    .optional()
    .describe('Allow faults of type kubectl: arbitrary kubectl commands in the target namespace'),
  stopWhen: z
    .array(stopCondition)
    .max(20)
    .optional()
    .describe('Stop conditions: when one holds, every fault is reverted at once and the run FAILs'),
});

export const scenarioSchema = z
  .strictObject({
    $schema: z.string().optional(),
    apiVersion: z.literal('chaos/v1'),
    kind: z.literal('Scenario'),
    metadata,
    target,
    steadyState: z.array(steadyStateCheck).max(50).default([]),
    load,
    windows,
    faults: z.array(fault).max(50).prefault([]),
    slos: z.array(slo).min(1, 'a scenario needs at least one SLO: without one it cannot fail').max(100),
    prometheus: prometheus
      .optional()
      .describe('Server-side truth: promql SLOs, server-side checks and request reconciliation'),
    safety: safety.prefault({}),
  })
  .describe('chaos scenario (chaos/v1)');

/**
 * The protocol's defaults laid under what the scenario says, once, so nothing downstream asks which protocol
 * it is to find an answer path or a version source.
 */
function withProtocolDefaults<
  T extends {
    url: string;
    protocol: Protocol;
    model?: { name: string; version?: string | undefined } | undefined;
    versionUrl?: string | undefined;
    modelVersion?:
      | { header?: string | undefined; field?: AnswerPath | undefined; urlField?: AnswerPath | undefined }
      | undefined;
    response?:
      | {
          score?: AnswerPath | undefined;
          class?: AnswerPath | undefined;
          scoreColumn?: number | undefined;
          scoreRange: [number, number];
        }
      | undefined;
  },
>(
  t: T,
): Omit<T, 'response' | 'modelVersion'> & {
  response: {
    score?: AnswerPath | undefined;
    class?: AnswerPath | undefined;
    scoreColumn?: number | undefined;
    scoreRange: [number, number];
  };
  modelVersion: ModelVersionSource;
} {
  const modelVersion: ModelVersionSource = defaultModelVersion(t.protocol);
  const given = t.modelVersion ?? {};
  if (given.header !== undefined) modelVersion.header = given.header;
  if (given.field !== undefined) modelVersion.field = given.field;
  if (given.urlField !== undefined) modelVersion.urlField = given.urlField;
  const versionUrl = t.versionUrl ?? metadataUrl(t);
  return {
    ...t,
    ...(versionUrl === undefined ? {} : { versionUrl }),
    response: t.response ?? { ...defaultResponse(t.protocol), scoreRange: [0, 1] },
    modelVersion,
  };
}
export type RunnerSettings = z.infer<typeof runnerSettings>;

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type FaultSpec = Scenario['faults'][number];
export type SloSpec = Scenario['slos'][number];
export type SteadyStateCheck = Scenario['steadyState'][number];
export type StopCondition = NonNullable<Scenario['safety']['stopWhen']>[number];

export function scenarioJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(scenarioSchema, { io: 'input', target: 'draft-2020-12' });
}
