/**
 * bench/api: GET /streams (100 streams) and POST /start_stream on Postgres and PGlite, driven by wrk from a
 * second process on loopback, 10 s per case. Prints req/s and p50/p99 latency.
 * Run: bun bench/api/run.ts  (needs wrk: apt-get install wrk; scripts/setup.sh --test installs it)
 */
import { join } from "node:path";
import { spawnBenchManager } from "../support/bench-manager.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const postLua = join(import.meta.dir, "post.lua");
await Bun.write(postLua, 'wrk.method = "POST"\nwrk.path = "/start_stream?name=bench"\n');

interface Result {
  rps: number;
  p50: string;
  p99: string;
  errors: string;
}

/** Runs wrk and pulls the figures out of its --latency report. */
async function wrk(url: string, script?: string): Promise<Result> {
  const args = [
    "wrk",
    "-t2",
    `-c${CONNECTIONS}`,
    `-d${SECONDS}s`,
    "--latency",
    ...(script ? ["-s", script] : []),
    url,
  ];
  const out = await new Response(Bun.spawn(args, { stdout: "pipe" }).stdout).text();
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const p50 = /\s50%\s+(\S+)/.exec(out)?.[1] ?? "?";
  const p99 = /\s99%\s+(\S+)/.exec(out)?.[1] ?? "?";
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? "0";
  return { rps, p50, p99, errors };
}

const rows: string[] = [];
for (const [kind, cacheMs] of [
  ["postgres", "500"],
  ["postgres", "0"],
  ["pglite", "500"],
  ["pglite", "0"],
] as const) {
  const { base, stop } = await spawnBenchManager(join(import.meta.dir, "serve.ts"), [kind, cacheMs]);
  const get = await wrk(`${base}/streams?limit=100`);
  rows.push(
    `GET /streams   ${kind.padEnd(8)} cache ${cacheMs.padStart(3)} ms  ${get.rps.toFixed(0).padStart(7)} req/s  p50 ${get.p50.padStart(8)}  p99 ${get.p99.padStart(8)}  non-2xx ${get.errors}`,
  );
  if (cacheMs === "500") {
    const post = await wrk(base, postLua);
    rows.push(
      `POST /start_stream ${kind.padEnd(8)}        ${post.rps.toFixed(0).padStart(7)} req/s  p50 ${post.p50.padStart(8)}  p99 ${post.p99.padStart(8)}  non-2xx ${post.errors}`,
    );
  }
  await stop();
  console.log(rows.slice(-2).join("\n"));
}
console.log(
  `\nbench/api: wrk -t2 -c${CONNECTIONS} -d${SECONDS}s on loopback, 100 streams seeded\n${rows.join("\n")}`,
);
console.log("target: GET /streams >= 10,000 req/s with p99 < 20 ms");
