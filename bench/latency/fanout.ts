/**
 * Many LL-HLS clients on one packager: each does what hls.js does at the live edge (a blocking reload
 * for the next part, and a request for the preload-hinted part, in parallel). Per delivered part:
 * time from the part's completion in the packager to the response, p50/p95, and the process CPU.
 * Clients and server share this process and the 2 cores, so high counts overstate the server's cost.
 * Run: bun bench/latency/fanout.ts [seconds=15] [clients=10,100,300]
 */
import { startLlhlsRig } from "../../tests/e2e/llhls-harness.ts";
import { percentile } from "./stats.ts";

const seconds = Number(process.argv[2] ?? 15);
const counts = (process.argv[3] ?? "10,100,300").split(",").map(Number);

/** Next part to ask for from a playlist: (msn, index) after the last EXT-X-PART, and the hint's URI. */
function nextPart(text: string): { msn: number; part: number; hint: string } | null {
  let msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? 0);
  let index = 0;
  let last: { msn: number; index: number } | null = null;
  for (const line of text.split("\n")) {
    if (line.startsWith("#EXT-X-PART:")) last = { msn, index: index++ };
    else if (line.startsWith("#EXTINF:")) {
      msn += 1;
      index = 0;
    }
  }
  const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(text)?.[1];
  return last && hint ? { msn: last.msn, part: last.index + 1, hint } : null;
}

const rig = startLlhlsRig();
const packager = rig.stream.rendition("hi");
if (!packager) throw new Error("no rung");
const appeared = new Map<number, number>();
packager.subscribe(() => appeared.set(packager.nextPartId - 1, performance.now()));
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
    const client = async () => {
      let text = await (await fetch(`${rig.url}/hi/index.m3u8`)).text();
      while (performance.now() < until) {
        const next = nextPart(text);
        if (!next) break;
        const id = Number(/part-e2e-(\d+)\.m4s/.exec(next.hint)?.[1]);
        const [pl, part] = await Promise.all([
          fetch(`${rig.url}/hi/index.m3u8?_HLS_msn=${next.msn}&_HLS_part=${next.part}`),
          fetch(`${rig.url}/hi/${next.hint}`),
        ]);
        const now = performance.now();
        if (pl.status !== 200 || part.status !== 200) errors += 1;
        await part.arrayBuffer();
        text = await pl.text();
        const at = appeared.get(id);
        // Both the new playlist and the hinted part are in hand.
        if (at !== undefined) partDelays.push(now - at);
      }
    };
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
