/**
 * Where text goes. Machine-readable output (--json, schema) is the only thing on stdout; everything for
 * humans goes to stderr so pipes stay clean.
 */
export interface Output {
  stdout(text: string): void;
  info(line: string): void;
  warn(line: string): void;
  /** A line that redraws in place on a TTY; plain timestamped lines otherwise. */
  progress(line: string): void;
  isTTY: boolean;
}

export function processOutput(
  streams: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream } = process,
): Output {
  const tty = Boolean(streams.stderr.isTTY) && process.env.CI !== 'true';
  let live = false;
  const clearLive = () => {
    if (live) {
      streams.stderr.write('\r\x1b[2K');
      live = false;
    }
  };
  return {
    isTTY: tty,
    stdout: (text) => streams.stdout.write(text),
    info: (line) => {
      clearLive();
      streams.stderr.write(line + '\n');
    },
    warn: (line) => {
      clearLive();
      streams.stderr.write(`warning: ${line}\n`);
    },
    progress: (line) => {
      if (tty) {
        streams.stderr.write('\r\x1b[2K' + line);
        live = true;
      } else {
        streams.stderr.write(`${new Date().toISOString()} ${line}\n`);
      }
    },
  };
}
