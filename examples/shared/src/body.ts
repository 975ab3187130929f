import type { IncomingMessage } from 'node:http';

export class PayloadTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
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
 * Buffers a request body, refusing to hold more than `limitBytes` (no limit when undefined). Once over the
 * limit the rest of the stream is discarded rather than buffered, so an oversized upload costs bandwidth
 * but not memory.
 */
export function readBody(req: IncomingMessage, limitBytes: number | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (limitBytes !== undefined && size > limitBytes) {
        over = true;
        chunks.length = 0;
        reject(new PayloadTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    });
    let ended = false;
    req.once('end', () => {
      ended = true;
      if (!over) resolve(Buffer.concat(chunks, size));
    });
    // Either may signal a client disconnect mid-upload; a settled promise ignores the second.
    req.once('error', () => reject(new ClientAbortedError()));
    req.once('close', () => {
      if (!ended) reject(new ClientAbortedError());
    });
  });
}
