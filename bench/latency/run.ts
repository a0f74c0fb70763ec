/**
 * True glass-to-glass latency, read from the picture. A 720p30 RTMP publisher (ffmpeg) stamps its capture wall clock
 * into every frame as a barcode (barcode.ts); headless Chromium reads the barcode of the frame on screen 4 times a
 * second and records Date.now() minus it, beside the player's own figure (Date.now() − program date-time).
 *
 * Side by side in one run, each cell its own Chromium: origin vs edge (the whole platform behind infra/cdn.sh's
 * shield + edge, pages pointed at the edge), the watch page's player vs hls.js with its default configuration,
 * a viewer joining at the stream's start vs one joining 30 s in. One stream per (tier, player): the "start" viewer
 * opens as the publisher starts, the "30 s in" viewer opens 30 s after it.
 *
 * The media node's ladder is the source rung (copied) plus one 360p rung, so that the publisher, the ladder and
 * Chromium's software decode fit the 2 shared cores together; BENCH_LADDER=default runs the default ladder
 * (three more x264 encodes). Delivery (packager, CDN, player) is the same either way.
 *
 * Run: bun bench/latency/run.ts [seconds per cell = 25] [tiers = origin,edge] [players = watch,hlsjs]
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { StartedStream } from "@hearth/contracts";
import { type CdnPlatform, startCdnPlatform } from "../../tests/e2e/cdn-platform.ts";
import { type Browser, launchChromium } from "../../tests/e2e/support/chromium.ts";
import { percentile } from "../../tests/e2e/support/stats.ts";
import { barcodePublisherArgs, type G2gSample, READER_SCRIPT } from "./barcode.ts";

const seconds = Number(process.argv[2] ?? 25);
const tiers = (process.argv[3] ?? "origin,edge").split(",") as Array<"origin" | "edge">;
const players = (process.argv[4] ?? "watch,hlsjs").split(",") as Array<"watch" | "hlsjs">;
const LATE_JOIN_S = 30;
const LIGHT_LADDER = JSON.stringify({
  rungs: [{ name: "360p", height: 360, videoKbps: 600, audioKbps: 96 }],
});
const ladderEnv: Record<string, string> =
  process.env.BENCH_LADDER === "default" ? {} : { HLS_LADDER: LIGHT_LADDER };
/** How long a viewer may take to show its first readable frame (a stream that is starting takes a few s). */
const FIRST_FRAME_CAP_MS = 45_000;

const HLS_JS = readFileSync(
  Bun.resolveSync("hls.js/dist/hls.min.js", `${import.meta.dir}/../../apps/web`),
  "utf8",
);

/** A bare page with hls.js and its default configuration, retrying until the stream's playlists exist. */
function hlsJsPage(src: string): string {
  return `<!doctype html><html><body><video id="v" muted autoplay playsinline></video><script>${HLS_JS}</script><script>
const v = document.getElementById("v");
function start() {
  const hls = new Hls();
  window.hls = hls;
  hls.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) { hls.destroy(); window.hls = null; setTimeout(start, 1000); } });
  hls.loadSource(${JSON.stringify(src)});
  hls.attachMedia(v);
  v.play().catch(() => {});
}
start();
</script></body></html>`;
}

interface Cell {
  tier: string;
  load: number;
  player: string;
  join: string;
  samples: G2gSample[];
  bad: number;
  firstFrameMs: number | null;
  error?: string;
}

const cells: Cell[] = [];

async function viewCell(
  browser: Browser,
  url: string,
  player: "watch" | "hlsjs",
): Promise<Omit<Cell, "tier" | "player" | "join" | "load">> {
  const tab = await browser.newPage();
  await tab.addInitScript(READER_SCRIPT);
  const opened = Date.now();
  try {
    await tab.goto(url);
    const deadline = Date.now() + FIRST_FRAME_CAP_MS;
    while (Date.now() < deadline) {
      if (player === "watch") {
        // The stats overlay (the player's own latency figure) exists once the player does: open it.
        const toggle = tab.locator('[data-testid="stats-toggle"][aria-pressed="false"]');
        if (await toggle.count()) await toggle.click().catch(() => {});
      }
      const n = (await tab.evaluate("window.__g2g.samples.length")) as number;
      if (n > 0) break;
      await Bun.sleep(250);
    }
    const firstAt = (await tab.evaluate("window.__g2g.samples[0]?.at ?? null")) as number | null;
    if (firstAt === null) return { samples: [], bad: 0, firstFrameMs: null, error: "no readable frame" };
    await tab.evaluate("window.__g2g.samples = []");
    await Bun.sleep(seconds * 1000);
    const g = (await tab.evaluate("window.__g2g")) as { samples: G2gSample[]; bad: number };
    return { samples: g.samples, bad: g.bad, firstFrameMs: firstAt - opened };
  } finally {
    await tab.close();
  }
}

async function runStream(p: CdnPlatform, tier: string, player: "watch" | "hlsjs"): Promise<void> {
  const res = await fetch(
    `${p.managerUrl}/start_stream?name=${encodeURIComponent(`g2g ${tier} ${player}`)}`,
    {
      method: "POST",
    },
  );
  const s = StartedStream.parse(await res.json());
  const page =
    player === "hlsjs"
      ? Bun.serve({
          hostname: "127.0.0.1",
          port: 0,
          fetch: () => new Response(hlsJsPage(s.hlsUrl), { headers: { "Content-Type": "text/html" } }),
        })
      : null;
  const url = page ? `http://127.0.0.1:${page.port}/` : `${p.webUrl}/watch/${s.publicId}`;
  const publisher = Bun.spawn(
    ["ffmpeg", ...barcodePublisherArgs(`${p.rtmpBase}/${s.privateId}`, LATE_JOIN_S + seconds + 60)],
    { stdin: "ignore", stdout: "ignore", stderr: "inherit" },
  );
  const began = Date.now();
  const browser = await launchChromium();
  try {
    for (const join of ["start", `${LATE_JOIN_S} s in`]) {
      if (join !== "start") await Bun.sleep(Math.max(0, began + LATE_JOIN_S * 1000 - Date.now()));
      const r = await viewCell(browser, url, player).catch((err: Error) => ({
        samples: [],
        bad: 0,
        firstFrameMs: null,
        error: err.message.split("\n")[0],
      }));
      // The machine's 1-minute load average as the cell ends: on 2 shared cores, what else ran is part of the figure.
      const cell = {
        tier,
        player: player === "watch" ? "watch page" : "hls.js defaults",
        join,
        load: loadavg()[0] ?? 0,
        ...r,
      };
      cells.push(cell);
      console.log(line(cell));
    }
  } finally {
    await browser.close();
    publisher.kill("SIGTERM");
    await publisher.exited;
    page?.stop(true);
  }
}

const s2 = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
function figures(c: Cell) {
  const pic = c.samples.map((x) => x.picture);
  const pdt = c.samples.map((x) => x.pdt).filter((x): x is number => x !== null);
  const heights = [...new Set(c.samples.map((x) => x.height))].sort((a, b) => b - a);
  return { pic, pdt, heights };
}
function line(c: Cell): string {
  const { pic, pdt, heights } = figures(c);
  if (!pic.length) return `${c.tier} / ${c.player} / join ${c.join}: no samples (${c.error ?? "?"})`;
  return (
    `${c.tier.padEnd(6)} ${c.player.padEnd(15)} join ${c.join.padEnd(8)} load ${c.load.toFixed(1)} picture p50 ${s2(percentile(pic, 50))} ` +
    `p95 ${s2(percentile(pic, 95))} | now−playingDate p50 ${pdt.length ? s2(percentile(pdt, 50)) : "n/a"} ` +
    `p95 ${pdt.length ? s2(percentile(pdt, 95)) : "n/a"} | samples ${pic.length} misreads ${c.bad} ` +
    `first frame ${c.firstFrameMs === null ? "none" : `${(c.firstFrameMs / 1000).toFixed(1)} s`} rungs ${heights.join("/")}p`
  );
}

console.log(
  `glass-to-glass: 720p30 barcode publisher over RTMP, ${seconds} s per cell, 4 reads/s, headless Chromium; ` +
    `ladder ${ladderEnv.HLS_LADDER ? "source + 360p" : "default"}; ` +
    "2 shared cores (publisher, ladder, nginx, Chromium and other work share them)",
);
for (const tier of tiers) {
  const p = await startCdnPlatform({ behindEdge: tier === "edge", accessLog: false, env: ladderEnv });
  try {
    for (const player of players) await runStream(p, tier, player);
  } finally {
    await p.stop();
  }
}

console.log(
  [
    "",
    "| tier | player | joins | picture p50 | picture p95 | now − playingDate p50 | p95 | first frame | load |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...cells.map((c) => {
      const { pic, pdt } = figures(c);
      const f = (l: number[], q: number) => (l.length ? s2(percentile(l, q)) : "n/a");
      return `| ${c.tier} | ${c.player} | ${c.join} | ${f(pic, 50)} | ${f(pic, 95)} | ${f(pdt, 50)} | ${f(pdt, 95)} | ${c.firstFrameMs === null ? "none" : `${(c.firstFrameMs / 1000).toFixed(1)} s`} | ${c.load.toFixed(0)} |`;
    }),
  ].join("\n"),
);
