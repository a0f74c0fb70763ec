/** The ingest bitrate of one publisher, sampled at most once a second from its byte counter. */
export class IngestMeter {
  private at: number;
  private bytes: number;
  private bps = 0;

  constructor(
    private readonly inBytes: () => number,
    private readonly now: () => number = Date.now,
  ) {
    this.at = now();
    this.bytes = inBytes();
  }

  /** Takes a sample when a second has passed since the last one. */
  sample(): void {
    const now = this.now();
    if (now - this.at < 1000) return;
    const bytes = this.inBytes();
    this.bps = ((bytes - this.bytes) * 8 * 1000) / (now - this.at);
    this.at = now;
    this.bytes = bytes;
  }

  /** Bits per second over the last sampled second or so (0 before the first sample). */
  get bitsPerSecond(): number {
    return this.bps;
  }
}
