/**
 * The wire protocols the built-in load speaks, and what each one means for a scenario: the request URL, the
 * body shape (built by k6/score.ts), where the answers and the model version are, and which URL says the model
 * is ready. The payload and golden files stay plain rows whatever the protocol; only the envelope changes.
 *
 *   json  the sample scorer's own: POST target.url with {"features": [[...], ...]}
 *   v2    the Open Inference Protocol (KServe V2, MLServer, Triton): POST {url}/v2/models/{name}[/versions/{v}]/infer
 *         with {"inputs": [{name, shape: [rows, width], datatype, data: [row-major]}]}
 *   v1    KServe V1: POST {url}/v1/models/{name}:predict with {"instances": [[...], ...]}
 */
import { AnswerPath } from './answer-path.js';

export const PROTOCOLS = ['json', 'v2', 'v1'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** V2 tensor datatypes a row of numbers can be sent as (BOOL and BYTES carry no feature rows). */
export const V2_DATATYPES = [
  'FP16',
  'FP32',
  'FP64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
] as const;
export type V2Datatype = (typeof V2_DATATYPES)[number];

/** Integer datatypes take integer features only: a server would refuse or truncate 0.5. */
export function integerDatatype(datatype: string): boolean {
  return datatype.includes('INT');
}

/** The model the v2/v1 paths name, as written (defaults applied by the schema). */
export interface ModelSpec {
  name: string;
  version?: string | undefined;
  input: string;
  datatype: V2Datatype;
  outputs?: string[] | undefined;
}

export interface ResponseSpec {
  score?: AnswerPath | undefined;
  class?: AnswerPath | undefined;
  scoreColumn?: number | undefined;
  scoreRange: [number, number];
}

/**
 * Where the model version is read; a key left out: not there in this protocol (or this scenario). Left out
 * rather than null so that a parsed scenario written back as JSON parses again to the same value.
 */
export interface ModelVersionSource {
  /** A response header on every answer. */
  header?: string;
  /** A path in every answer's body. */
  field?: AnswerPath;
  /** A path in the JSON document target.versionUrl answers (read before the run). */
  urlField?: AnswerPath;
}

/** Each protocol's answer paths when target.response is not given. */
export function defaultResponse(protocol: Protocol): Omit<ResponseSpec, 'scoreRange'> {
  switch (protocol) {
    case 'json':
      return {
        score: AnswerPath.parse('predictions[*].fraudProbability'),
        class: AnswerPath.parse('predictions[*].label'),
      };
    case 'v2':
      // MLServer's scikit-learn runtime names its outputs after the method: the class from `predict`, the
      // probabilities from `predict_proba` ([rows, classes], row-major), of which column 1 is the positive class.
      return {
        score: AnswerPath.parse('outputs[name=predict_proba]'),
        scoreColumn: 1,
        class: AnswerPath.parse('outputs[name=predict].data[*]'),
      };
    case 'v1':
      return { class: AnswerPath.parse('predictions[*]') };
  }
}

/** Each protocol's model-version sources, before the scenario's own (target.modelVersion) are laid over them. */
export function defaultModelVersion(protocol: Protocol): ModelVersionSource {
  switch (protocol) {
    case 'json':
      return { header: 'X-Model-Version', urlField: AnswerPath.parse('modelVersion') };
    case 'v2':
      return { field: AnswerPath.parse('model_version'), urlField: AnswerPath.parse('versions[0]') };
    case 'v1':
      return {};
  }
}

/** base + path, keeping a path prefix the base URL has (a gateway's /ml/ stays in front). */
function under(base: string, path: string): string {
  const u = new URL(base);
  u.pathname = u.pathname.replace(/\/+$/, '') + path;
  u.search = '';
  u.hash = '';
  return u.toString();
}

function modelPath(prefix: 'v1' | 'v2', model: Pick<ModelSpec, 'name' | 'version'>): string {
  const name = `/${prefix}/models/${encodeURIComponent(model.name)}`;
  return prefix === 'v2' && model.version ? `${name}/versions/${encodeURIComponent(model.version)}` : name;
}

interface TargetLike {
  url: string;
  protocol: Protocol;
  model?: Pick<ModelSpec, 'name' | 'version'> | undefined;
}

/** Where the built-in load POSTs. */
export function requestUrl(t: TargetLike): string {
  if (t.protocol === 'json' || !t.model) return t.url;
  return t.protocol === 'v2'
    ? under(t.url, `${modelPath('v2', t.model)}/infer`)
    : under(t.url, `${modelPath('v1', t.model)}:predict`);
}

/** The model's metadata (V2: name, versions, inputs, outputs); none for json and v1. */
export function metadataUrl(t: TargetLike): string | undefined {
  if (t.protocol !== 'v2' || !t.model) return undefined;
  return under(t.url, modelPath('v2', t.model));
}

/**
 * What an `http` steady-state check GETs when it names no url: the model's own readiness where the protocol has
 * one (V2 .../ready, V1's model status), else target.versionUrl or target.url as before.
 */
export function readyUrl(t: TargetLike & { versionUrl?: string | undefined }): string {
  if (t.protocol === 'v2' && t.model) return under(t.url, `${modelPath('v2', t.model)}/ready`);
  if (t.protocol === 'v1' && t.model) return under(t.url, modelPath('v1', t.model));
  return t.versionUrl ?? t.url;
}

/** The path of a protocol's endpoint written into target.url, which takes the server's base URL instead. */
export function protocolPathInUrl(t: TargetLike): string | null {
  if (t.protocol === 'json') return null;
  const m = /\/v[12]\/models(\/|$)/.exec(new URL(t.url).pathname);
  return m ? m[0] : null;
}
