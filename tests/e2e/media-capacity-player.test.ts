/**
 * A rung that goes away must not strand its player (issue 14): hls.js in Chromium pinned to the 240p rung, the
 * stream's ffmpeg is frozen (SIGSTOP) so it falls behind, the node degrades the stream to fewer rungs, and the
 * player moves to another rung and keeps playing.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { MediaStreamStatus } from "@hearth/contracts";
import { DEFAULT_DEGRADATION } from "../../apps/media/src/degradation-policy.ts";
import { createStream, lookup, type Platform, startPlatform, until } from "./media-harness.ts";
import { type Browser, launchChromium } from "./support/chromium.ts";
import { publishSynthetic } from "./support/synthetic-source.ts";

const LADDER = JSON.stringify({
  rungs: [
    { name: "240p", height: 240, videoKbps: 300, audioKbps: 64 },
    { name: "160p", height: 160, videoKbps: 182, audioKbps: 48 },
  ],
});

const HLS_JS = readFileSync(
  Bun.resolveSync("hls.js/dist/hls.min.js", `${import.meta.dir}/../../apps/web`),
  "utf8",
);

/** hls.js on `src`, switched by hand to the level of height `pin` once the manifest is parsed (as a quality menu does). */
function page(src: string, pin: number): string {
  return `<!doctype html><html><body><video id="v" muted autoplay playsinline></video><script>${HLS_JS}</script><script>
const v = document.getElementById("v");
window.errors = [];
const hls = new Hls({ lowLatencyMode: true });
window.hls = hls;
hls.on(Hls.Events.ERROR, (_e, d) => window.errors.push(d.details + (d.fatal ? ":fatal" : "")));
hls.on(Hls.Events.MANIFEST_PARSED, () => { hls.currentLevel = hls.levels.findIndex((l) => l.height === ${pin}); });
hls.loadSource(${JSON.stringify(src)});
hls.attachMedia(v);
</script></body></html>`;
}

let p: Platform;
let browser: Browser | null = null;
let server: ReturnType<typeof Bun.serve> | null = null;
let pub: Bun.Subprocess | null = null;
let frozen: number | null = null;

beforeAll(async () => {
  // Half a second of input may wait for ffmpeg: a frozen ffmpeg overflows it at once.
  p = await startPlatform({ HLS_LADDER: LADDER, MEDIA_FEED_MAX_SECONDS: "0.5", MEDIA_DEGRADE: "true" });
});
afterAll(async () => {
  if (frozen) {
    try {
      process.kill(frozen, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  pub?.kill("SIGKILL");
  await browser?.close();
  server?.stop(true);
  await p.stop();
});

test("a player on a rung that goes away moves to another rung and keeps playing", async () => {
  const s = await createStream(p.managerUrl, "rung goes away");
  pub = publishSynthetic(
    `${s.rtmp.server}/${s.rtmp.streamKey}`,
    { seconds: 120, width: 640, height: 360, fps: 15, videoKbps: 500, audioKbps: 64 },
    "ignore",
  );
  await until("live", 60_000, async () => (await lookup(p.managerUrl, s.publicId)).live);
  const html = page(`${p.mediaUrl}/hls/${s.publicId}/master.m3u8`, 240);
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => new Response(html, { headers: { "Content-Type": "text/html" } }),
  });
  browser = await launchChromium();
  const tab = await browser.newPage();
  await tab.goto(`http://127.0.0.1:${server.port}/`);
  const state = () =>
    tab.evaluate(() => {
      const h = (window as unknown as { hls: { currentLevel: number; levels: { height: number }[] } }).hls;
      return {
        t: (document.getElementById("v") as HTMLVideoElement).currentTime,
        height: h.levels[h.currentLevel]?.height ?? -1,
        errors: (window as unknown as { errors: string[] }).errors,
      };
    });
  await until(
    "hls.js playing the 240p rung",
    40_000,
    async () => {
      const st = await state();
      return st.height === 240 && st.t > 1;
    },
    250,
  );

  const status = async () =>
    MediaStreamStatus.parse(await (await fetch(`${p.mediaUrl}/streams/${s.publicId}/status`)).json());
  // A transcoder is judged only once it has settled (start-up does not count as falling behind).
  await until(
    "the transcoder to have settled",
    30_000,
    async () => {
      const started = (await status()).transcoder?.startedAt;
      return started ? Date.now() - Date.parse(started) > DEFAULT_DEGRADATION.settleMs + 1000 : false;
    },
    250,
  );
  frozen = (await status()).transcoder?.pid ?? null;
  expect(frozen).toBeGreaterThan(0);
  // A frozen transcoder: its input backs up past the bound, the node makes the stream cheaper (drops 240p).
  process.kill(frozen as number, "SIGSTOP");
  const q = await until("the 240p rung to go away", 40_000, async () => {
    const st = await status();
    return st.quality && !st.quality.rungs.includes("240p") ? st.quality : undefined;
  });
  console.log(`degraded: ${q.level} [${q.rungs.join(",")}] (${q.reason})`);
  expect((await fetch(`${p.mediaUrl}/hls/${s.publicId}/240p/index.m3u8`)).status).toBe(404);

  const moved = await until(
    "hls.js to leave the 240p rung",
    40_000,
    async () => {
      const st = await state();
      return st.height !== 240 && st.height > 0 ? st : undefined;
    },
    250,
  );
  console.log(`player moved to ${moved.height}p; errors seen: ${[...new Set(moved.errors)].join(", ")}`);
  await until("playback to go on after the switch", 30_000, async () => (await state()).t > moved.t + 2, 250);
  expect((await state()).errors.filter((e) => e.endsWith(":fatal"))).toEqual([]);
}, 240_000);
