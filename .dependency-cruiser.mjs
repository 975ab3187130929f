/**
 * The import rules `npm run deps` (part of `npm run check`) enforces on src/. Type-only imports count: a
 * cycle through `import type` is still two modules that cannot be understood apart.
 *
 * Layers, top to bottom; a module may import its own layer or any layer below, never one above. README.md
 * ("Layout") says what each holds.
 */
const LAYERS = [
  ['cli'],
  ['commands'],
  ['run', 'gameday', 'schedule'],
  ['faults', 'runners', 'ledger', 'load', 'observe', 'plan', 'verdict', 'report', 'budget'],
  ['scenario'],
  ['adapters', 'errors', 'version'],
];

/** `src/<name>/…` or `src/<name>.ts`, for each name. */
const under = (names) => `^src/(${names.join('|')})(/|\\.ts$)`;

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'No import cycle of any length, type-only imports included.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...LAYERS.slice(1).map((layer, i) => ({
      name: `layer-${layer.join('-')}`,
      comment: `${layer.join(', ')} may not import ${LAYERS.slice(0, i + 1)
        .flat()
        .join(', ')} (a layer above).`,
      severity: 'error',
      from: { path: under(layer) },
      to: { path: under(LAYERS.slice(0, i + 1).flat()) },
    })),
    {
      name: 'layer-unknown',
      comment: 'Every module of src/ belongs to a layer: add a new directory to LAYERS and to README.md.',
      severity: 'error',
      from: { path: '^src/', pathNot: under(LAYERS.flat()) },
      to: {},
    },
    {
      name: 'commands-apart',
      comment: 'A command does not import another: what two commands share lives in a layer below them.',
      severity: 'error',
      from: { path: '^src/commands/([^/]+)\\.ts$' },
      to: { path: '^src/commands/', pathNot: '^src/commands/$1\\.ts$' },
    },
    {
      name: 'ledger-opaque',
      comment: 'The ledger stores undo records without reading them: only the faults know their own.',
      severity: 'error',
      from: { path: '^src/ledger/' },
      to: { path: '^src/faults/' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
  },
};
