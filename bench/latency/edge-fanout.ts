/**
 * LL-HLS clients through the infra/ nginx edge + shield: each does what hls.js does at the live edge (a
 * blocking reload for the next part and a request for the hinted part, in parallel), with the front cache-lock
 * timeout for blocking reloads and parts (cdn.sh --live-lock; behind it each tier's collapse stage) set to each
 * value in turn (edited in the rendered configs, then a reload). Per delivered part: time from its completion in the packager to both responses in hand,
 * and how many requests reached the origin per part. Everything shares the 2 cores with other suites.
 * Run: bun bench/latency/edge-fanout.ts [seconds=10] [clients=1,20,100] [timeouts=300ms,100ms,1s]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startCdn } from "../../tests/e2e/cdn-harness.ts";
import { PUBLIC_ID, startLlhlsRig } from "../../tests/e2e/llhls-harness.ts";
import { followLiveEdge, watchPartCompletions } from "../../tests/e2e/support/live-edge-client.ts";
import { percentile } from "../../tests/e2e/support/stats.ts";

const seconds = Number(process.argv[2] ?? 10);
const counts = (process.argv[3] ?? "1,20,100").split(",").map(Number);
const timeouts = (process.argv[4] ?? "300ms,100ms,1s").split(",");

let originRequests = 0;
const rig = startLlhlsRig({
  pathPrefix: "/hls",
  onRequest: (u) => {
    if (u.search.includes("_HLS_msn") || u.pathname.includes("/part-")) originRequests += 1;
  },
});
const { packager, completed } = watchPartCompletions(rig);
rig.startInput();
const cdn = await startCdn({
  media: [{ id: "media-1", port: Number(new URL(rig.url).port) }],
  accessLog: false,
});
while (packager.lastCompleteMsn() < 1) await Bun.sleep(100);
const base = `${cdn.edge}/hls/media-1/${PUBLIC_ID}/hi`;

/**
 * Sets the front cache-lock timeout for blocking reloads and parts in both tiers and reloads nginx: the only
 * proxy_cache_lock_timeout lines in a rendered nginx.conf are those (the others are in the included hls-*.conf).
 */
async function setLockTimeout(value: string): Promise<void> {
  for (const tier of ["edge", "shield"]) {
    const path = join(cdn.dir, tier, "conf", "nginx.conf");
    writeFileSync(
      path,
      readFileSync(path, "utf8").replaceAll(
        /proxy_cache_lock_timeout \S+;/g,
        `proxy_cache_lock_timeout ${value};`,
      ),
    );
  }
  for (const pid of cdn.nginxPids) process.kill(pid, "SIGHUP");
  await Bun.sleep(1500);
}

console.log(
  `edge-fanout: ${seconds} s per run; clients, packager, ffmpeg and both nginx tiers share 2 cores (other suites may run)`,
);
try {
  for (const timeout of timeouts) {
    await setLockTimeout(timeout);
    for (const n of counts) {
      const delays: number[] = [];
      const errors: string[] = [];
      const origin0 = originRequests;
      const ids = new Set<number>();
      const until = performance.now() + seconds * 1000;
      const client = () =>
        followLiveEdge({
          // Start from the origin's current state (an edge copy could be a previous run's, seconds old).
          start: `${rig.url}/hi/index.m3u8`,
          base,
          stopAt: until,
          onDelivery: (d) => {
            if (d.playlistStatus !== 200 || d.partStatus !== 200)
              errors.push(`${d.playlistStatus}/${d.partStatus}`);
            const at = completed.get(d.partId);
            if (at !== undefined) {
              delays.push(d.at - at);
              ids.add(d.partId);
            }
          },
        });
      await Promise.all(Array.from({ length: n }, client));
      const f = (x: number) => x.toFixed(0);
      console.log(
        `lock timeout ${timeout.padStart(4)} ${String(n).padStart(4)} clients: after part completion p50=${f(percentile(delays, 50))} ms p95=${f(percentile(delays, 95))} ms max=${f(Math.max(...delays))} ms; origin requests per part=${((originRequests - origin0) / Math.max(1, ids.size)).toFixed(1)} errors=${errors.length}${errors.length ? ` (${errors.slice(0, 3).join(",")})` : ""}`,
      );
    }
  }
} finally {
  await cdn.stop();
  await rig.stop();
}
