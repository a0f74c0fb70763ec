/**
 * bench/reconnect: what a viewer sees when the streamer's connection drops and comes back.
 *
 * The whole platform (manager, chat, media, web) in this process; a real ffmpeg publishes over RTMP; the
 * watch page plays in headless Chromium (hls.js). The publisher is SIGKILLed (an abrupt TCP drop, no
 * unpublish) and started again with the same key after 1, 2 and 5 s. For each gap it prints the viewer's
 * interruption (the longest time the video's currentTime did not advance around the drop), whether the
 * player was rebuilt (the master playlist loaded again) or the page showed the offline screen, and whether
 * the directory ever listed the stream offline. Target: interruption <= gap + 1.0 s, no reload, never offline.
 *
 *   bun bench/reconnect/run.ts            # gaps 1,2,5 s at 640x360
 *   GAPS=1,2,5 SIZE=1280x720 bun bench/reconnect/run.ts
 */
import { StartedStream, StreamList } from "@hearth/contracts";
import { launchChromium } from "../../tests/e2e/support/chromium.ts";
import { untilPlaybackAdvances, videoState } from "../../tests/e2e/support/player.ts";
import { publishSynthetic } from "../../tests/e2e/support/synthetic-source.ts";
import { until } from "../../tests/e2e/support/until.ts";
import { startWebPlatform } from "../../tests/e2e/web-harness.ts";

const GAPS = (process.env.GAPS ?? "1,2,5").split(",").map(Number);
const [WIDTH, HEIGHT] = (process.env.SIZE ?? "640x360").split("x").map(Number) as [number, number];
const SAMPLE_MS = 50;
/** After the publisher is back: how long playback is watched before the gap's figures are taken. */
const SETTLE_MS = 8000;

const platform = await startWebPlatform({ RECONNECT_GRACE_SECONDS: "10" });
const browser = await launchChromium();
const publishers: Bun.Subprocess[] = [];
try {
  const res = await fetch(`${platform.managerUrl}/start_stream?name=reconnect-bench`, { method: "POST" });
  const stream = StartedStream.parse(await res.json());
  const url = `${stream.rtmp.server}/${stream.rtmp.streamKey}`;
  const publish = () => {
    const p = publishSynthetic(
      url,
      { seconds: 900, width: WIDTH, height: HEIGHT, videoKbps: 1500 },
      "ignore",
    );
    publishers.push(p);
    return p;
  };
  let pub = publish();
  await until("stream live", 30_000, async () => {
    const l = await (await fetch(`${platform.managerUrl}/stream/${stream.publicId}`)).json();
    return (l as { live?: boolean }).live === true;
  });

  const page = await browser.newPage();
  let masterLoads = 0;
  page.on("request", (r) => {
    if (r.url().includes(`/${stream.publicId}/master.m3u8`)) masterLoads += 1;
  });
  // DEBUG=1: every HLS response around the drops, relative to the drop (where the time goes).
  const trace: string[] = [];
  let dropWall = 0;
  if (process.env.DEBUG) {
    // The media node's log lines, timed from the drop.
    const lines = platform.logs.media ?? [];
    const push = lines.push.bind(lines);
    lines.push = (...items: string[]) => {
      for (const l of items) trace.push(`${Date.now() - dropWall} media ${l.slice(0, 160)}`);
      return push(...items);
    };
    page.on("requestfinished", async (r) => {
      const t = r.timing();
      const res = await r.response();
      const u = new URL(r.url());
      if (!u.pathname.includes("/hls/")) return;
      const sent = t.startTime - dropWall;
      trace.push(
        `${sent.toFixed(0)} +${t.responseEnd.toFixed(0)} ${res?.status()} ${u.pathname.split("/").slice(-2).join("/")}${u.search}`,
      );
    });
  }
  await page.goto(`${platform.webUrl}/watch/${stream.publicId}`);
  await untilPlaybackAdvances(page, "the video to play");
  // The page samples the video's clock itself: round trips from here would be coarser than the stalls.
  await page.evaluate((every) => {
    const w = window as unknown as { samples: Array<[number, number, string]> };
    w.samples = [];
    setInterval(() => {
      const v = document.querySelector("video");
      const state = document.querySelector<HTMLElement>("[data-testid=player]")?.dataset.state ?? "";
      w.samples.push([performance.now(), v?.currentTime ?? -1, state]);
    }, every);
  }, SAMPLE_MS);
  await Bun.sleep(5000);

  const rows: string[] = [];
  for (const gap of GAPS) {
    const loadsBefore = masterLoads;
    let offlinePolls = 0;
    let polling = true;
    const directory = (async () => {
      while (polling) {
        const list = StreamList.parse(await (await fetch(`${platform.managerUrl}/streams`)).json());
        if (!list.streams.find((s) => s.publicId === stream.publicId)?.live) offlinePolls += 1;
        await Bun.sleep(250);
      }
    })();
    const pageNow = () => page.evaluate(() => performance.now());
    const droppedAt = await pageNow();
    dropWall = Date.now();
    trace.length = 0;
    pub.kill("SIGKILL");
    await pub.exited;
    await Bun.sleep(gap * 1000);
    pub = publish();
    await Bun.sleep(SETTLE_MS);
    polling = false;
    await directory;
    const samples = await page.evaluate(
      () => (window as unknown as { samples: Array<[number, number, string]> }).samples,
    );
    // The longest stretch without the video advancing, from a second before the drop on.
    let longest = 0;
    let lastAdvance: number | null = null;
    let prevT = -1;
    let offlineScreen = false;
    for (const [at, t, state] of samples) {
      if (at < droppedAt - 1000) {
        prevT = t;
        continue;
      }
      if (state === "offline") offlineScreen = true;
      if (t > prevT) {
        if (lastAdvance !== null) longest = Math.max(longest, at - lastAdvance);
        lastAdvance = at;
      }
      prevT = t;
    }
    const stalledToEnd = lastAdvance === null || (samples.at(-1)?.[0] ?? 0) - lastAdvance > 1000;
    const interruption = longest / 1000;
    const reload = masterLoads > loadsBefore || offlineScreen;
    const ok = !stalledToEnd && interruption <= gap + 1 && !reload && offlinePolls === 0;
    rows.push(
      `| ${gap} s | ${stalledToEnd ? "did not resume" : `${interruption.toFixed(2)} s`} | ${gap + 1} s | ${reload ? "yes" : "no"} | ${offlinePolls === 0 ? "never" : `${offlinePolls} polls`} | ${ok ? "ok" : "MISSED"} |`,
    );
    if (process.env.DEBUG)
      console.log(
        `gap ${gap} s:\n${trace.filter((l) => Number(l.split(" ")[0]) > -1500 && Number(l.split(" ")[0]) < 9000).join("\n")}`,
      );
    await page.evaluate(() => {
      (window as unknown as { samples: unknown[] }).samples = [];
    });
  }
  const v = await videoState(page);
  console.log(`\nbench/reconnect: ${WIDTH}x${HEIGHT} publisher SIGKILLed and restarted with the same key`);
  console.log(
    "| gap | viewer interruption | target | player rebuilt / offline screen | offline in directory | |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const r of rows) console.log(r);
  console.log(`player at the end: state=${v.state}, rung=${v.rung}, ${v.h}p`);
} finally {
  for (const p of publishers) p.kill("SIGKILL");
  await browser.close();
  await platform.stop();
}
