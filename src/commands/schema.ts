import { scenarioJsonSchema } from '../scenario/schema.js';
import type { Output } from '../adapters/output.js';

export function schemaCommand(out: Output): void {
  out.stdout(JSON.stringify(scenarioJsonSchema(), null, 2) + '\n');
}
