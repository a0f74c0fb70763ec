/**
 * Many LL-HLS clients on one packager: each does what hls.js does at the live edge (a blocking reload
 * for the next part, and a request for the preload-hinted part, in parallel). Per delivered part:
 * time from the part's completion in the packager to the response, p50/p95, and the process CPU.
 * Clients and server share this process and the 2 cores, so high counts overstate the server's cost.
 * Run: bun bench/latency/fanout.ts [seconds=15] [clients=10,100,300]
 */
import { startLlhlsRig } from "../../tests/e2e/llhls-harness.ts";
import { followLiveEdge, watchPartCompletions } from "../../tests/e2e/support/live-edge-client.ts";
import { percentile } from "../../tests/e2e/support/stats.ts";

const seconds = Number(process.argv[2] ?? 15);
const counts = (process.argv[3] ?? "10,100,300").split(",").map(Number);

const rig = startLlhlsRig();
const { packager, completed } = watchPartCompletions(rig);
rig.startInput();
while (packager.lastCompleteMsn() < 1) await Bun.sleep(100);

console.log(
  `fanout: ${seconds} s per client count; clients and server share this process and 2 cores (other suites may run)`,
);
try {
  for (const n of counts) {
    const partDelays: number[] = [];
    let errors = 0;
    const until = performance.now() + seconds * 1000;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const client = () =>
      followLiveEdge({
        start: `${rig.url}/hi/index.m3u8`,
        base: `${rig.url}/hi`,
        stopAt: until,
        onDelivery: (d) => {
          if (d.playlistStatus !== 200 || d.partStatus !== 200) errors += 1;
          const at = completed.get(d.partId);
          // Both the new playlist and the hinted part are in hand.
          if (at !== undefined) partDelays.push(d.at - at);
        },
      });
    await Promise.all(Array.from({ length: n }, client));
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - t0;
    const f = (x: number) => x.toFixed(1);
    console.log(
      `${String(n).padStart(4)} clients: parts delivered=${partDelays.length} delay after completion p50=${f(percentile(partDelays, 50))} ms p95=${f(percentile(partDelays, 95))} ms errors=${errors} process CPU=${f(((cpu.user + cpu.system) / 1000 / wall) * 100)} % of one core`,
    );
  }
} finally {
  await rig.stop();
}
