import type { Output } from '../../../src/adapters/output.js';

/** An Output that records what a command printed: stdout text and stderr lines. */
export function recordingOutput(): Output & { out: string; err: string[] } {
  const o = {
    out: '',
    err: [] as string[],
    isTTY: false,
    stdout: (text: string) => {
      o.out += text;
    },
    info: (line: string) => {
      o.err.push(line);
    },
    warn: (line: string) => {
      o.err.push(`warning: ${line}`);
    },
    progress: (line: string) => {
      o.err.push(line);
    },
  };
  return o;
}
