/** A TCP port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/** Polls `url` until it answers `status` (default 200) or the deadline passes. */
export async function waitFor(url: string, timeoutMs = 30_000, status = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === status) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await Bun.sleep(150);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (${last})`);
}
