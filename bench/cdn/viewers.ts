/**
 * bench/cdn viewer swarm: N concurrent GETs of one URL, run in its own process so the CDN's nginx, the origin and
 * the viewers do not share an event loop. Prints one JSON line: statuses, edge cache verdicts, latency.
 * Usage: bun bench/cdn/viewers.ts <url> <n>   (BUN_CONFIG_MAX_HTTP_REQUESTS must be >= n for true concurrency)
 */
export {};

const [url, nArg] = process.argv.slice(2);
const n = Number(nArg);
if (!url || !Number.isInteger(n) || n < 1) throw new Error("usage: viewers.ts <url> <n>");

const times: number[] = [];
const verdicts: Record<string, number> = {};
const statuses: Record<string, number> = {};
await Promise.all(
  Array.from({ length: n }, async () => {
    const t0 = performance.now();
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    await res.arrayBuffer();
    times.push(performance.now() - t0);
    const v = res.headers.get("x-cache-status") ?? "-";
    verdicts[v] = (verdicts[v] ?? 0) + 1;
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  }),
);
times.sort((a, b) => a - b);
const at = (q: number) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0);
console.log(JSON.stringify({ n, statuses, verdicts, p50: at(0.5), p99: at(0.99), max: at(1) }));
