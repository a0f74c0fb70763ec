/**
 * The viewer's side in Chromium with an OBS-style publisher (ffmpeg over RTMP) on the real platform:
 * the directory shows the live card with its preview, the watch page plays (a rung is selected),
 * switching quality changes the playing rung, and when the publisher stops the watch page turns
 * offline and the directory drops the live badge, both without a reload.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type StartedStream, StreamLookup } from "@hearth/contracts";
import type { BrowserContext, Page } from "./support/chromium.ts";
import { selectRung, untilPlaybackAdvances, videoState } from "./support/player.ts";
import { startWebScene, until, type WebPlatform, type WebScene } from "./web-harness.ts";

const SHOTS = join(import.meta.dir, "..", "..", "artifacts", "screenshots");

let scene: WebScene;
let platform: WebPlatform;
let viewer: BrowserContext;
let watch: Page;
let directory: Page;
let stream: StartedStream;
let publisher: Bun.Subprocess | undefined;

async function lookup(): Promise<StreamLookup> {
  return StreamLookup.parse(await (await fetch(`${platform.managerUrl}/stream/${stream.publicId}`)).json());
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  scene = await startWebScene();
  platform = scene.platform;
  viewer = await scene.browser.newContext({ viewport: { width: 1366, height: 800 } });
  stream = await scene.createStream("Late-night synth jam");
}, 90_000);

afterAll(() => scene?.stop(), 60_000);

describe("watching an RTMP stream in Chromium", () => {
  test("the watch page shows the offline screen, then the player by itself once the stream goes live", async () => {
    watch = await viewer.newPage();
    directory = await viewer.newPage();
    await watch.goto(`${platform.webUrl}/watch/${stream.publicId}`);
    await watch.locator('[data-testid=player][data-state="offline"]').waitFor({ timeout: 10_000 });
    await directory.goto(`${platform.webUrl}/`);
    // A synthetic 720p30 H.264/AAC publisher, as OBS would send (1 s GOP).
    publisher = scene.publish(stream, { seconds: 300, videoKbps: 2500 });
    await until("the manager to list the rungs", 90_000, async () => (await lookup()).rungs.length >= 2);
    const s = await until("the video to play", 60_000, async () => {
      const v = await videoState(watch);
      return v.state === "live" && v.t > 0.5 && v.rung ? v : undefined;
    });
    await untilPlaybackAdvances(watch, "currentTime to advance", s.t);
  }, 180_000);

  test("the stats overlay opens from the keyboard and shows latency, rung and buffer", async () => {
    const toggle = watch.getByTestId("stats-toggle");
    await toggle.focus();
    await watch.keyboard.press("Enter");
    expect(await toggle.getAttribute("aria-pressed")).toBe("true");
    const stats = await until("the overlay to show the rung and a buffer", 20_000, async () => {
      const o = await watch.evaluate(() => {
        const cell = (id: string) => document.querySelector<HTMLElement>(`[data-testid=${id}]`);
        return {
          rung: cell("stats-rung")?.textContent ?? "",
          buffer: cell("stats-buffer")?.textContent ?? "",
          latency: cell("stats-latency")?.textContent ?? "",
          latencyMs: cell("stats-latency")?.dataset.ms ?? "",
          playing: document.querySelector<HTMLElement>("[data-testid=player]")?.dataset.rung ?? "",
        };
      });
      return o.rung && o.rung === o.playing && /^\d+\.\d\d s$/.test(o.buffer) && o.buffer !== "0.00 s"
        ? o
        : undefined;
    });
    // Latency needs EXT-X-PROGRAM-DATE-TIME; when the playlists carry it, it must be a sane live distance.
    if (stats.latencyMs !== "") expect(Number(stats.latencyMs)).toBeLessThan(30_000);
    else expect(stats.latency).toStartWith("—");
    await watch.screenshot({ path: join(SHOTS, "watch-stats.png") });
    await watch.keyboard.press("Space");
    expect(await toggle.getAttribute("aria-pressed")).toBe("false");
    expect(await watch.getByTestId("player-stats").count()).toBe(0);
  }, 60_000);

  test("the directory shows the live card with its preview, without a reload", async () => {
    const card = directory.locator(`a.card.is-live[data-public-id="${stream.publicId}"]`);
    await card.waitFor({ timeout: 20_000 });
    expect(await card.textContent()).toContain("Late-night synth jam");
    await until("the preview image", 60_000, () =>
      card
        .locator("img")
        .evaluate((img) => (img as HTMLImageElement).naturalWidth > 0)
        .catch(() => false),
    );
    await directory.screenshot({ path: join(SHOTS, "directory.png") });
  }, 90_000);

  test("switching quality changes the playing rung", async () => {
    const rungs = [...(await lookup()).rungs].sort((a, b) => a.height - b.height);
    const options = await watch.getByTestId("quality").locator("option").allTextContents();
    expect(options[0]).toBe("Auto");
    expect(options.length).toBe(rungs.length + 1);
    const low = rungs[0];
    const high = rungs[rungs.length - 1];
    if (!low || !high || low.height === high.height) throw new Error("need two rungs of different heights");
    for (const r of [low, high]) await selectRung(watch, r, 40_000);
    await untilPlaybackAdvances(watch, "playback to continue after the switch");
    await watch.screenshot({ path: join(SHOTS, "watch.png") });
  }, 120_000);

  test("when the publisher stops, the watch page goes offline and the directory drops the badge", async () => {
    publisher?.kill("SIGINT");
    await publisher?.exited;
    publisher = undefined;
    await watch.locator('[data-testid=player][data-state="offline"]').waitFor({ timeout: 60_000 });
    await directory
      .locator(`a.card[data-public-id="${stream.publicId}"]:not(.is-live)`)
      .waitFor({ timeout: 30_000 });
    expect(await directory.locator(`a.card[data-public-id="${stream.publicId}"] .badge-live`).count()).toBe(
      0,
    );
  }, 120_000);
});
