import type { IncomingMessage } from 'node:http';

/**
 * How much of an oversized upload is read (and thrown away) so the client can be answered on an intact
 * connection. Beyond this the connection is closed mid-upload, and the client may see a reset instead.
 */
export const DISCARD_FACTOR = 8;

export class PayloadTooLargeError extends Error {
  constructor(
    readonly limitBytes: number,
    /** false: the upload was abandoned part-way, so the connection cannot be reused. */
    readonly bodyConsumed: boolean,
  ) {
    super(`request body exceeds ${limitBytes} bytes`);
    this.name = 'PayloadTooLargeError';
  }
}

export class ClientAbortedError extends Error {
  constructor() {
    super('client went away before sending the whole request body');
    this.name = 'ClientAbortedError';
  }
}

/**
 * Buffers a request body, refusing to hold more than `limitBytes` (no limit when undefined). Past the limit
 * the stream is drained without buffering, so an oversized upload costs bandwidth but not memory, and is
 * rejected once it ends (or as soon as it passes DISCARD_FACTOR times the limit).
 */
export function readBody(req: IncomingMessage, limitBytes: number | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    let ended = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (limitBytes === undefined || size <= limitBytes) {
        chunks.push(chunk);
        return;
      }
      over = true;
      chunks = [];
      if (size > limitBytes * DISCARD_FACTOR) {
        req.pause();
        reject(new PayloadTooLargeError(limitBytes, false));
      }
    });
    req.once('end', () => {
      ended = true;
      if (over) reject(new PayloadTooLargeError(limitBytes!, true));
      else resolve(Buffer.concat(chunks, size));
    });
    // Either may signal a client disconnect mid-upload; a settled promise ignores the second.
    req.once('error', () => reject(new ClientAbortedError()));
    req.once('close', () => {
      if (!ended) reject(new ClientAbortedError());
    });
  });
}
