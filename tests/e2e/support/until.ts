/** What `until` polls: a value ends the wait; undefined or false means "not yet". */
export type Probe<T> = () => Promise<T | undefined | false> | T | undefined | false;

/** The pace for probes that are mostly round trips into Chromium, which shares the 2 cores with the player. */
export const PAGE_POLL_MS = 250;

/** Polls until `probe` gives a value (not undefined/false), or throws after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, probe: Probe<T>, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    await Bun.sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
