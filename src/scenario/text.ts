/** Bytes → text: size, binary data, encoding, each with the position of the first offending byte. */

export type Position = { line: number; col: number };

/** Large enough for any honest scenario; a bigger file is a mistake or an attack. */
export const MAX_SCENARIO_BYTES = 1024 * 1024;

export function decodeText(
  input: Buffer | Uint8Array | string,
): { text: string } | { problem: string; pos: Position } {
  const start = { line: 1, col: 1 };
  if (typeof input === 'string') {
    const size = Buffer.byteLength(input);
    if (size > MAX_SCENARIO_BYTES) return { problem: tooBig(size), pos: start };
    const nul = input.indexOf('\0');
    if (nul >= 0)
      return {
        problem: 'binary data (a NUL character), expected YAML text',
        pos: offsetPosition(input, nul),
      };
    return { text: input.startsWith('\uFEFF') ? input.slice(1) : input };
  }
  const bytes = input;
  if (bytes.length > MAX_SCENARIO_BYTES) return { problem: tooBig(bytes.length), pos: start };
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { problem: 'UTF-16 text; save the scenario as UTF-8', pos: start };
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0)
    return { problem: 'binary data (a NUL byte), expected YAML text', pos: bytePosition(bytes, nul) };
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    return {
      problem: `not valid UTF-8 (byte 0x${bytes[bad]!.toString(16).padStart(2, '0')}); save the scenario as UTF-8`,
      pos: bytePosition(bytes, bad),
    };
  }
  // Valid by construction, so `fatal` cannot throw; TextDecoder drops a UTF-8 byte-order mark.
  return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence, or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  const n = b.length;
  const cont = (k: number) => k < n && (b[k]! & 0xc0) === 0x80;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
    } else if (c >= 0xc2 && c <= 0xdf) {
      if (!cont(i + 1)) return i;
      i += 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      const c1 = b[i + 1];
      if (c1 === undefined || !cont(i + 1) || !cont(i + 2)) return i;
      if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f)) return i; // overlong, surrogate
      i += 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
      const c1 = b[i + 1];
      if (c1 === undefined || !cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return i;
      if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return i; // overlong, > U+10FFFF
      i += 4;
    } else {
      return i;
    }
  }
  return -1;
}

/** Line and column (in characters) of a byte offset whose prefix is valid UTF-8 up to the line's start. */
export function bytePosition(bytes: Uint8Array, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  const prefix = new TextDecoder('utf-8').decode(bytes.subarray(lineStart, offset));
  return { line, col: prefix.length + 1 };
}

export function offsetPosition(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: offset - lineStart + 1 };
}

export function tooBig(size: number): string {
  return `file is ${size} bytes; scenarios are limited to 1 MiB (${MAX_SCENARIO_BYTES} bytes)`;
}
