/**
 * Whether the API server answers, all run long: a cheap request every second, each with a short deadline.
 * What the run observes of the cluster (the pod watch, recovery, triage) is blind while the server does not
 * answer, so a run that lost contact cannot be judged as if it had not: the spans are the evidence.
 */

export interface Outage {
  /** Epoch ms: the start of the first request that got no answer. */
  from: number;
  /** Epoch ms: the first answer after it; null while the server is still silent. */
  to: number | null;
}

export interface ContactOptions {
  /** One request (e.g. GET /version) that rejects when there is no answer within `timeoutMs`. */
  ping: (timeoutMs: number) => Promise<unknown>;
  intervalMs?: number;
  timeoutMs?: number;
  /**
   * Silences shorter than this are not outages: on a loaded machine one slow answer is not a lost API server,
   * and a run should not become INCONCLUSIVE for it.
   */
  minOutageMs?: number;
  now?: () => number;
  /** Told when contact is lost (after minOutageMs) and when it is back. */
  onChange?: (lost: boolean, outage: Outage) => void;
}

export class ContactMonitor {
  private readonly opts: Required<Omit<ContactOptions, 'onChange'>> & Pick<ContactOptions, 'onChange'>;
  private readonly spans: Outage[] = [];
  private current: Outage | null = null;
  private reported = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(opts: ContactOptions) {
    this.opts = { intervalMs: 1000, timeoutMs: 2000, minOutageMs: 5000, now: Date.now, ...opts };
  }

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /**
   * Stops, after one last check if an outage is still open: the reverts that waited for the server can go through
   * and end the run between two checks, and an outage the run outlived must not read "still silent".
   */
  async settle(): Promise<void> {
    this.stop();
    if (this.current) await this.check();
  }

  /** One check: exposed for tests, which drive the clock themselves. */
  async check(): Promise<void> {
    const started = this.opts.now();
    try {
      await this.opts.ping(this.opts.timeoutMs);
      const answered = this.opts.now();
      if (this.current) {
        this.current.to = answered;
        if (answered - this.current.from >= this.opts.minOutageMs) {
          this.spans.push(this.current);
          this.opts.onChange?.(false, this.current);
        }
        this.current = null;
        this.reported = false;
      }
    } catch {
      this.current ??= { from: started, to: null };
      if (!this.reported && this.opts.now() - this.current.from >= this.opts.minOutageMs) {
        this.reported = true;
        this.opts.onChange?.(true, this.current);
      }
    }
  }

  /** Every outage so far, one still going included (to: null), as long as it has lasted minOutageMs. */
  outages(): Outage[] {
    const ongoing =
      this.current && this.opts.now() - this.current.from >= this.opts.minOutageMs
        ? [{ ...this.current }]
        : [];
    return [...this.spans.map((o) => ({ ...o })), ...ongoing];
  }

  private async loop(): Promise<void> {
    if (this.stopped) return;
    await this.check();
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.loop(), this.opts.intervalMs);
    this.timer.unref();
  }
}
