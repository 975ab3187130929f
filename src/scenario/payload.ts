/**
 * The payload file (load.payload.file): the rows the built-in load sends, plain {"features": [[...], ...]} (or one
 * flat row) whatever the protocol. Checked when the scenario loads: every row as wide as the model declares
 * (load.payload.features), and whole numbers when a V2 integer datatype is declared.
 */
import { integerDatatype } from './protocol.js';
import { readRowsFile, type RowsRead } from './rows.js';
import type { Scenario } from './schema.js';

// k6 holds the whole file in every VU; beyond this it is a data set, not a payload.
const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
const MAX_PAYLOAD_ROWS = 1_000_000;

export function readPayloadFile(file: string, width: number, integers: string | null): RowsRead {
  return readRowsFile(file, {
    width,
    widthKey: 'load.payload.features',
    integers,
    maxRows: MAX_PAYLOAD_ROWS,
    maxBytes: MAX_PAYLOAD_BYTES,
    flatRow: true,
  });
}

/** Why rows must be whole numbers in this scenario, or null when they need not be. */
export function integerRule(s: Scenario): string | null {
  const dt = s.target.model?.datatype;
  return s.target.protocol === 'v2' && dt && integerDatatype(dt) ? `target.model.datatype is ${dt}` : null;
}
