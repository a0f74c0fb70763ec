/** What the routes and the internal API need of a recording still being written on this node. */
export interface ActiveRecording {
  /** Stops writing (the recording is being deleted); resolves once no write is pending. */
  abandon(): Promise<void>;
  /**
   * Resolves once media up to wall time `ms` is on disk (a live clip ending "now" waits for the open segment),
   * or after `timeoutMs`, or at once when the recording stopped growing.
   */
  recordedUntil?(ms: number, timeoutMs: number): Promise<void>;
}

/**
 * The recordings this process is writing now, by video id. A stored recording not in here is finished, whatever
 * its meta.json says: its recorder is gone (and recovery finalises such a meta at the next start), so its
 * playlist is served as VOD even when the disk was too full to rewrite the meta.
 */
export class LiveRecordings {
  private readonly active = new Map<string, ActiveRecording>();

  add(videoId: string, r: ActiveRecording): void {
    this.active.set(videoId, r);
  }

  delete(videoId: string): void {
    this.active.delete(videoId);
  }

  get(videoId: string): ActiveRecording | undefined {
    return this.active.get(videoId);
  }

  has(videoId: string): boolean {
    return this.active.has(videoId);
  }

  get size(): number {
    return this.active.size;
  }
}
