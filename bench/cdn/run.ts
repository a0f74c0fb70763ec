/**
 * bench/cdn: the nginx edge + shield from infra/cdn.sh in front of a counting stand-in origin, on loopback.
 *  1. Cached segment throughput at the edge: wrk, BENCH_SECONDS (10) per object size, BENCH_CONNECTIONS (100).
 *  2. Upstream requests per new segment (and per new playlist) when 1, 100 and 1,000 viewers ask at once,
 *     each swarm in its own process (bench/cdn/viewers.ts).
 * Run: bun bench/cdn/run.ts   (needs nginx and wrk: scripts/setup.sh --test installs both)
 */
import { join } from "node:path";
import { publicId, StandInOrigin, startCdn } from "../../tests/e2e/cdn-harness.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const SIZES_KB = [16, 75, 300];
const VIEWERS = [1, 100, 1000];

const origin = new StandInOrigin("bench-origin");
// A real origin reads the file from disk; a little delay keeps the first request in flight while others arrive.
origin.delayMs = 20;
const cdn = await startCdn({
  media: [{ id: "media-1", port: origin.port }],
  accessLog: false,
  workers: "auto",
});

interface Wrk {
  rps: number;
  transfer: string;
  p50: string;
  p99: string;
  non2xx: string;
}

async function wrk(url: string): Promise<Wrk> {
  const args = ["wrk", "-t2", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--latency", url];
  const out = await new Response(Bun.spawn(args, { stdout: "pipe" }).stdout).text();
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    transfer: /Transfer\/sec:\s+(\S+)/.exec(out)?.[1] ?? "?",
    p50: /\s50%\s+(\S+)/.exec(out)?.[1] ?? "?",
    p99: /\s99%\s+(\S+)/.exec(out)?.[1] ?? "?",
    non2xx: /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? "0",
  };
}

interface Swarm {
  n: number;
  statuses: Record<string, number>;
  verdicts: Record<string, number>;
  p50: number;
  p99: number;
  max: number;
}

async function swarm(url: string, n: number): Promise<Swarm> {
  const proc = Bun.spawn(["bun", join(import.meta.dir, "viewers.ts"), url, String(n)], {
    stdout: "pipe",
    env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: String(Math.max(256, n + 16)) },
  });
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`viewers.ts failed: ${out}`);
  return JSON.parse(out.trim().split("\n").pop() ?? "{}") as Swarm;
}

const lines: string[] = [];
const say = (line: string) => {
  lines.push(line);
  console.log(line);
};
try {
  say(`edge from cache: wrk -t2 -c${CONNECTIONS} -d${SECONDS}s, one segment`);
  for (const kb of SIZES_KB) {
    const id = publicId();
    const path = `/hls/${id}/720p/seg_b_1.ts`;
    await origin.put(`${id}/720p/seg_b_1.ts`, new Uint8Array(kb * 1024).fill(71));
    const url = `${cdn.edge}/hls/media-1/${id}/720p/seg_b_1.ts`;
    await (await fetch(url)).arrayBuffer();
    const r = await wrk(url);
    say(
      `  ${String(kb).padStart(4)} KB  ${r.rps.toFixed(0).padStart(7)} req/s  ${r.transfer.padStart(9)}/s  p50 ${r.p50.padStart(8)}  p99 ${r.p99.padStart(8)}  non-2xx ${r.non2xx}  origin requests ${origin.count(path)}`,
    );
  }

  say("\nupstream requests when N viewers ask for a new object at once (300 KB segment; playlist)");
  for (const n of VIEWERS) {
    const perSegment: number[] = [];
    const perPlaylist: number[] = [];
    let last: Swarm | undefined;
    for (let k = 1; k <= 3; k++) {
      const id = publicId();
      await origin.put(`${id}/720p/seg_c_${k}.ts`, new Uint8Array(300 * 1024).fill(k));
      await origin.put(`${id}/720p/index.m3u8`, `#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:${k}\n`);
      last = await swarm(`${cdn.edge}/hls/media-1/${id}/720p/seg_c_${k}.ts`, n);
      if ((last.statuses["200"] ?? 0) !== n)
        throw new Error(`not every viewer got 200: ${JSON.stringify(last)}`);
      perSegment.push(origin.count(`/hls/${id}/720p/seg_c_${k}.ts`));
      await swarm(`${cdn.edge}/hls/media-1/${id}/720p/index.m3u8`, n);
      perPlaylist.push(origin.count(`/hls/${id}/720p/index.m3u8`));
    }
    say(
      `  ${String(n).padStart(5)} viewers  origin requests per segment ${perSegment.join(",")}  per playlist ${perPlaylist.join(",")}  last segment swarm: p50 ${last?.p50} ms  p99 ${last?.p99} ms  verdicts ${JSON.stringify(last?.verdicts)}`,
    );
  }
  say("\ntarget: edge >= 20,000 cached segment req/s; 1 upstream request per segment at any viewer count");
  say(
    "note: 2 shared cores; wrk, both nginx tiers and the origin share them (and other work may be running)",
  );
} finally {
  await cdn.stop();
  await origin.stop();
}
