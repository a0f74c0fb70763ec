/**
 * bench/abuse (a), creation flood: from one address, 1,000 `POST /start_stream` in 10 s against the real manager
 * (its main.ts start(), Postgres, public defaults: 10 an hour, burst 3, 5 open per address), with a normal
 * `GET /streams` every 20 ms alongside. Prints accepted vs refused (by status and code) and the GET p99.
 * Target: creation limited as configured (3 accepted), GET /streams p99 under 50 ms throughout.
 *
 *   bun bench/abuse/creation.ts
 *
 * The manager runs in a child process (`serve`), so the load generator's own work does not skew its latencies.
 * Media and chat answer from an in-process stand-in there: this measures the manager alone.
 */
import { randomBytes } from "node:crypto";
import { serveBenchManager, spawnBenchManager } from "../support/bench-manager.ts";

const FLOOD = 1000;
const SECONDS = 10;
const GET_EVERY_MS = 20;
// Made in each process: the child only needs it to seed as the operator, the parent never uses it.
const ADMIN = randomBytes(24).toString("base64url");

if (process.argv[2] === "serve")
  await serveBenchManager({
    database: "postgres",
    // The public defaults (10 an hour, burst 3, 5 open per address) stay; the operator seeds the directory.
    env: { ADMIN_TOKEN: ADMIN },
    seedToken: ADMIN,
  });
else await drive();

async function drive(): Promise<void> {
  const { base, stop } = await spawnBenchManager(import.meta.path, ["serve"]);
  try {
    const outcomes = new Map<string, number>();
    const postMs: number[] = [];
    const getMs: number[] = [];
    const t0 = performance.now();
    const end = t0 + SECONDS * 1000;
    let getting = true;
    const gets = (async () => {
      for (let next = performance.now(); getting; next += GET_EVERY_MS) {
        await Bun.sleep(Math.max(0, next - performance.now()));
        const s = performance.now();
        const res = await fetch(`${base}/streams`);
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`GET /streams answered ${res.status}`);
        getMs.push(performance.now() - s);
      }
    })();
    const posts: Promise<void>[] = [];
    for (let i = 0; i < FLOOD; i++) {
      await Bun.sleep(Math.max(0, t0 + (i * SECONDS * 1000) / FLOOD - performance.now()));
      posts.push(
        (async () => {
          const s = performance.now();
          const res = await fetch(`${base}/start_stream`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ name: `flood ${i}` }),
          });
          const body = (await res.json()) as { error?: { code: string } };
          postMs.push(performance.now() - s);
          const key = `${res.status}${body.error ? ` ${body.error.code}` : ""}`;
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        })(),
      );
    }
    await Promise.all(posts);
    const sent = (performance.now() - t0) / 1000;
    await Bun.sleep(Math.max(0, end - performance.now()));
    getting = false;
    await gets;
    const pct = (xs: number[], p: number) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
    };
    console.log(`POST /start_stream x${FLOOD} from one address in ${sent.toFixed(1)} s:`);
    for (const [k, n] of [...outcomes].sort()) console.log(`  ${k.padEnd(28)} ${n}`);
    console.log(
      `  POST latency   p50 ${pct(postMs, 50).toFixed(1)} ms  p99 ${pct(postMs, 99).toFixed(1)} ms`,
    );
    console.log(
      `GET /streams x${getMs.length} alongside: p50 ${pct(getMs, 50).toFixed(1)} ms  p99 ${pct(getMs, 99).toFixed(1)} ms  max ${Math.max(...getMs).toFixed(1)} ms (target p99 < 50 ms)`,
    );
  } finally {
    await stop();
  }
}
