/**
 * A viewer in Debian's headless Chromium: hls.js 1.7.4 plays a URL and reports, once a second,
 * Date.now() minus hls.js's playingDate (the program date-time of the frame on screen).
 */
import { readFileSync } from "node:fs";
import { type Browser, launchChromium } from "./chromium.ts";

export interface ViewResult {
  /** ms from navigation start to the first `playing` event. */
  firstFrameMs: number | null;
  /** Latency samples, ms. */
  latencies: number[];
  stalls: number;
  errors: string[];
  /** hls.js loaded EXT-X-PART lists (it is playing in low-latency mode, not just segments). */
  sawParts: boolean;
  /** Video time advanced over the sampling period, seconds. */
  played: number;
  /** Parts (EXT-X-PART) hls.js loaded, and the URL of the last one (which host served them). */
  partsLoaded: number;
  lastPartUrl: string | null;
}

const HLS_JS = readFileSync(
  Bun.resolveSync("hls.js/dist/hls.min.js", `${import.meta.dir}/../../../apps/web`),
  "utf8",
);

function page(src: string, lowLatency: boolean): string {
  return `<!doctype html><html><body><video id="v" muted autoplay playsinline></video><script>${HLS_JS}</script><script>
const v = document.getElementById("v");
window.stats = { firstFrameMs: null, stalls: 0, errors: [], partsLoaded: 0, lastPartUrl: null };
const hls = new Hls({ lowLatencyMode: ${lowLatency}, enableWorker: true });
window.hls = hls;
hls.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal || window.stats.errors.length < 20) window.stats.errors.push(d.type + ":" + d.details + (d.fatal ? ":fatal" : "")); });
hls.on(Hls.Events.FRAG_LOADED, (_e, d) => { if (d.part) { window.stats.partsLoaded += 1; window.stats.lastPartUrl = d.part.url; } });
v.addEventListener("playing", () => { if (window.stats.firstFrameMs === null) window.stats.firstFrameMs = performance.now(); });
v.addEventListener("waiting", () => { if (window.stats.firstFrameMs !== null) window.stats.stalls += 1; });
hls.loadSource(${JSON.stringify(src)});
hls.attachMedia(v);
</script></body></html>`;
}

/** Opens one viewer on `src` and samples its latency every second for `seconds` (one retry if Chromium dies at start). */
export async function view(src: string, o: { lowLatency: boolean; seconds: number }): Promise<ViewResult> {
  try {
    return await viewOnce(src, o);
  } catch (err) {
    console.error(`viewer failed (${(err as Error).message.split("\n")[0]}); retrying once`);
    return viewOnce(src, o);
  }
}

async function viewOnce(src: string, o: { lowLatency: boolean; seconds: number }): Promise<ViewResult> {
  const html = page(src, o.lowLatency);
  // The page comes from its own origin, so every HLS request is cross-origin (CORS is exercised).
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => new Response(html, { headers: { "Content-Type": "text/html" } }),
  });
  let browser: Browser | null = null;
  try {
    browser = await launchChromium();
    const tab = await browser.newPage();
    await tab.goto(`http://127.0.0.1:${server.port}/`);
    await tab.waitForFunction("window.stats.firstFrameMs !== null", undefined, { timeout: 20_000 });
    const latencies: number[] = [];
    const t0 = (await tab.evaluate("document.getElementById('v').currentTime")) as number;
    for (let i = 0; i < o.seconds; i++) {
      await Bun.sleep(1000);
      const l = await tab.evaluate(
        "window.hls.playingDate ? Date.now() - window.hls.playingDate.getTime() : null",
      );
      if (typeof l === "number") latencies.push(l);
    }
    const stats = (await tab.evaluate("window.stats")) as {
      firstFrameMs: number | null;
      stalls: number;
      errors: string[];
      partsLoaded: number;
      lastPartUrl: string | null;
    };
    const sawParts = (await tab.evaluate(
      "(window.hls.latestLevelDetails?.partList?.length ?? 0) > 0",
    )) as boolean;
    const t1 = (await tab.evaluate("document.getElementById('v').currentTime")) as number;
    return { ...stats, latencies, sawParts, played: t1 - t0 };
  } finally {
    await browser?.close();
    server.stop(true);
  }
}
