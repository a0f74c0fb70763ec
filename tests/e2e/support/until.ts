/**
 * The one way the suite waits: poll a condition until it holds, with a generous cap. Tests never assert how
 * long something took (that is bench/'s job, on a quiet machine); they wait for the outcome and may print the
 * time it took.
 */

/** What `until` polls: a value ends the wait; undefined or false means "not yet". */
export type Probe<T> = () => Promise<T | undefined | false> | T | undefined | false;

/** The pace for probes that are mostly round trips into Chromium, which shares the 2 cores with the player. */
export const PAGE_POLL_MS = 250;

/** Polls until `probe` gives a value (not undefined/false), or throws after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, probe: Probe<T>, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() >= deadline) break;
    await Bun.sleep(Math.min(everyMs, Math.max(0, deadline - Date.now())));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * A probe for `until`: true once `url` answers `status` (default 200). A refused connection or a request
 * that takes over 2 s counts as "not yet", as does any other status.
 */
export function answers(url: string, status = 200): Probe<true> {
  return () =>
    fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      async (res) => {
        await res.body?.cancel();
        return res.status === status || undefined;
      },
      () => undefined,
    );
}

/** Waits until `url` answers `status` (default 200): a server that is up and ready. */
export function untilAnswers(url: string, timeoutMs = 30_000, status = 200): Promise<true> {
  return until(`${url} to answer ${status}`, timeoutMs, answers(url, status), 150);
}

/** The milliseconds since `from` (a `performance.now()`), for the timings a test prints. */
export function msSince(from: number): number {
  return Math.round(performance.now() - from);
}
