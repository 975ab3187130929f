import { z } from 'zod';
import type { Output } from '../adapters/output.js';
import { suiteSchema } from '../gameday/suite.js';
import { scenarioJsonSchema } from '../scenario/schema.js';

export function schemaCommand(out: Output, opts: { suite?: boolean } = {}): void {
  const schema = opts.suite
    ? z.toJSONSchema(suiteSchema, { io: 'input', target: 'draft-2020-12' })
    : scenarioJsonSchema();
  out.stdout(JSON.stringify(schema, null, 2) + '\n');
}
