/**
 * The three pages in headless Chromium against the real platform (manager, chat, media with WHIP, web):
 * a broadcaster goes live with a fake camera, a viewer in another context watches (the video plays, a rung
 * is selected, switching quality changes the playing rung), chat works both ways, the streamer deletes a
 * message, Stop turns the watch page offline and the directory drops the live badge. Screenshots of the
 * three pages land in artifacts/screenshots/ (git-ignored).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { StreamLookup } from "@hearth/contracts";
import { type Browser, type BrowserContext, launchChromium, type Page } from "./support/chromium.ts";
import { selectRung, untilPlaybackAdvances, videoState } from "./support/player.ts";
import { startWebPlatform, until, type WebPlatform } from "./web-harness.ts";

const SHOTS = join(import.meta.dir, "..", "..", "artifacts", "screenshots");
const DESKTOP = { width: 1366, height: 800 };

let platform: WebPlatform;
let browser: Browser;
let streamer: BrowserContext;
let viewer: BrowserContext;
let studio: Page;
let watch: Page;
let publicId = "";
let privateId = "";
/** Every URL the viewer's browser requested. */
const viewerUrls: string[] = [];

async function lookup(): Promise<StreamLookup> {
  return StreamLookup.parse(await (await fetch(`${platform.managerUrl}/stream/${publicId}`)).json());
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  platform = await startWebPlatform();
  browser = await launchChromium();
  streamer = await browser.newContext({ viewport: DESKTOP });
  viewer = await browser.newContext({ viewport: DESKTOP });
  studio = await streamer.newPage();
  watch = await viewer.newPage();
  watch.on("request", (r) => viewerUrls.push(r.url()));
}, 90_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await platform?.stop();
}, 60_000);

describe("web pages in Chromium", () => {
  test("the empty directory tells a newcomer how to go live", async () => {
    const page = await viewer.newPage();
    await page.goto(`${platform.webUrl}/`);
    await page.getByText("Nobody is live right now.").waitFor({ timeout: 10_000 });
    expect(await page.title()).toBe("Hearth · Live channels");
    await page.screenshot({ path: join(SHOTS, "directory-empty.png") });
    const missing = await page.goto(`${platform.webUrl}/watch/noSuchStream1`);
    expect(missing?.status()).toBe(404);
    await page.getByText("This stream does not exist").waitFor({ timeout: 5_000 });
    await page.screenshot({ path: join(SHOTS, "not-found.png") });
    await page.close();
  });

  test("the broadcaster creates a stream and goes live with the fake camera over WHIP", async () => {
    await studio.goto(`${platform.webUrl}/broadcast`);
    await studio.getByLabel("Stream title").fill("E2E live show");
    await studio.getByRole("button", { name: "Create stream" }).click();
    const el = studio.locator(".studio");
    await el.waitFor({ timeout: 15_000 });
    publicId = (await el.getAttribute("data-public-id")) ?? "";
    expect(publicId).toMatch(/^[A-Za-z0-9_-]{8,32}$/);
    privateId = await studio.evaluate(
      () =>
        (JSON.parse(localStorage.getItem("hearth.broadcast.stream") ?? "{}") as { privateId?: string })
          .privateId ?? "",
    );
    expect(privateId.length).toBeGreaterThan(8);
    // The key stays masked until revealed, and the page URL never carries it.
    expect(await studio.getByLabel("Stream key", { exact: true }).inputValue()).not.toContain(privateId);
    expect(studio.url()).not.toContain(privateId);

    await studio.getByRole("button", { name: "Camera & mic" }).click();
    await studio.getByRole("button", { name: "Go live" }).click();
    const health = studio.getByTestId("health");
    await until("a connected WHIP session sending video", 45_000, async () => {
      const state = await health.getAttribute("data-state").catch(() => null);
      const kbps = Number(await health.getAttribute("data-kbps").catch(() => "0"));
      return state === "connected" && kbps > 50;
    });
    const live = await until("the manager to report the stream live with rungs", 90_000, async () => {
      const l = await lookup();
      return l.live && l.rungs.length >= 2 ? l : undefined;
    });
    expect(live.name).toBe("E2E live show");
  }, 150_000);

  test("the directory lists the live stream with its preview", async () => {
    const page = await viewer.newPage();
    const thumb = `${platform.mediaUrl}/hls/${publicId}/thumb.jpg`;
    await until("the media node's preview image", 60_000, async () => (await fetch(thumb)).ok);
    await page.goto(`${platform.webUrl}/`);
    const card = page.locator(`a.card[data-public-id="${publicId}"]`);
    await card.waitFor({ timeout: 10_000 });
    expect(await card.locator(".badge-live").textContent()).toBe("LIVE");
    expect(await card.textContent()).toContain("E2E live show");
    await until("the preview to load", 15_000, () =>
      card.locator("img").evaluate((img) => (img as HTMLImageElement).naturalWidth > 0),
    );
    await page.screenshot({ path: join(SHOTS, "directory.png") });
    await page.close();
  }, 90_000);

  test("the viewer's video plays, with a rung selected", async () => {
    await watch.goto(`${platform.webUrl}/watch/${publicId}`);
    expect(await watch.title()).toContain("E2E live show");
    expect(await watch.locator('meta[property="og:title"]').getAttribute("content")).toBe("E2E live show");
    const first = await until("the video to start", 60_000, async () => {
      const s = await videoState(watch);
      return s.t > 0.5 && s.rung ? s : undefined;
    });
    await untilPlaybackAdvances(watch, "currentTime to advance", first.t);
    await studio.screenshot({ path: join(SHOTS, "broadcast.png") });
  }, 90_000);

  test("switching quality changes the playing rung", async () => {
    const rungs = (await lookup()).rungs;
    const options = await watch.getByTestId("quality").locator("option").allInnerTexts();
    expect(options[0]).toBe("Auto");
    for (const r of rungs) expect(options.some((o) => o.startsWith(r.name))).toBe(true);
    const sorted = [...rungs].sort((a, b) => a.height - b.height);
    const low = sorted[0];
    const high = sorted[sorted.length - 1];
    if (!low || !high) throw new Error("no rungs");
    // The keyboard reaches the menu: focus it and pick with the keyboard-driven select API.
    await watch.getByTestId("quality").focus();
    await selectRung(watch, low, 30_000);
    await selectRung(watch, high, 30_000);
    await untilPlaybackAdvances(watch, "playback to continue after the switch");
    await watch.screenshot({ path: join(SHOTS, "watch.png") });
  }, 90_000);

  test("chat works both ways, and the streamer's delete removes a message for the viewer", async () => {
    await watch.getByLabel("Pick a display name").fill("viewer_one");
    await watch.getByRole("button", { name: "Join chat" }).click();
    await watch.getByLabel(/Send a message as viewer_one/).fill("hello from the viewer");
    await watch.keyboard.press("Enter");
    const onStudio = studio.locator(".chat-msg", { hasText: "hello from the viewer" });
    await onStudio.waitFor({ timeout: 15_000 });

    await studio.getByRole("button", { name: "Join chat" }).click();
    await studio.getByLabel(/Send a message as/).fill("hello from the streamer");
    await studio.getByRole("button", { name: "Chat" }).click();
    await watch.locator(".chat-msg", { hasText: "hello from the streamer" }).waitFor({ timeout: 15_000 });

    await studio.locator(".badge-mod").waitFor({ timeout: 10_000 });
    await onStudio.getByRole("button", { name: "Delete message from viewer_one" }).click();
    await watch
      .locator(".chat-msg", { hasText: "hello from the viewer" })
      .waitFor({ state: "detached", timeout: 15_000 });
    expect(await watch.locator(".chat-msg", { hasText: "hello from the streamer" }).count()).toBe(1);
    await studio.screenshot({ path: join(SHOTS, "broadcast.png") });
    await watch.screenshot({ path: join(SHOTS, "watch.png") });
    const phoneContext = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const phone = await phoneContext.newPage();
    await phone.goto(`${platform.webUrl}/watch/${publicId}`);
    await phone.locator(".chat-msg").first().waitFor({ timeout: 15_000 });
    await phone.screenshot({ path: join(SHOTS, "watch-phone.png"), fullPage: true });
    await phoneContext.close();
  }, 90_000);

  test("moderation: slow mode and a ban reach the viewer", async () => {
    await watch.getByLabel(/Send a message as viewer_one/).fill("second message");
    await watch.keyboard.press("Enter");
    const onStudio = studio.locator(".chat-msg", { hasText: "second message" });
    await onStudio.waitFor({ timeout: 15_000 });
    await studio.getByLabel("Slow mode").selectOption("30");
    await watch.getByText("Slow mode: one message every 30s.").waitFor({ timeout: 15_000 });
    await onStudio.getByRole("button", { name: "Ban viewer_one" }).click();
    await watch.getByText("You are banned from this chat.").waitFor({ timeout: 15_000 });
    expect(await watch.getByLabel(/Send a message as/).count()).toBe(0);
  }, 60_000);

  test("Stop ends the broadcast: the watch page goes offline and the directory drops the badge", async () => {
    const directory = await viewer.newPage();
    await directory.goto(`${platform.webUrl}/`);
    await directory.locator(`a.card.is-live[data-public-id="${publicId}"]`).waitFor({ timeout: 10_000 });
    await studio.getByRole("button", { name: "Stop" }).click();
    await watch.locator('[data-testid=player][data-state="offline"]').waitFor({ timeout: 60_000 });
    expect(await watch.getByText("E2E live show is offline").count()).toBe(1);
    // The directory refreshes itself (no reload): the card stays but is no longer live.
    await directory
      .locator(`a.card[data-public-id="${publicId}"]:not(.is-live)`)
      .waitFor({ timeout: 30_000 });
    expect(await directory.locator(`a.card[data-public-id="${publicId}"] .badge-live`).count()).toBe(0);
    await directory.close();
  }, 90_000);

  test("the stream key never reached the web tier, its logs, or a URL the viewer loaded", () => {
    expect(privateId).not.toBe("");
    for (const [app, lines] of Object.entries(platform.logs)) {
      for (const line of lines)
        if (line.includes(privateId)) throw new Error(`${app} logged the key: ${line}`);
    }
    expect(viewerUrls.length).toBeGreaterThan(5);
    expect(viewerUrls.filter((u) => u.includes(privateId))).toEqual([]);
  });
});
