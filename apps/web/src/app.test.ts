import { describe, expect, test } from "bun:test";
import type { ManagerApi } from "./manager-api.ts";
import { ManagerUnavailable } from "./manager-api.ts";
import { emptyManager, lookup, summary, testApp, video } from "./test-fixtures.ts";

const live = summary({ publicId: "liveStream01", name: "Speedrun night", viewers: 1234 });
const offline = summary({
  publicId: "offStream001",
  name: "Yesterday's <stream>",
  live: false,
  startedAt: null,
});

function manager(over: Partial<ManagerApi> = {}): ManagerApi {
  return emptyManager({
    listStreams: async () => ({ streams: [offline, live], nextCursor: null }),
    lookup: async (id) => (id === "liveStream01" ? lookup({ publicId: id, name: "Speedrun night" }) : null),
    ...over,
  });
}

/** The JSON the page serialised for its islands. */
function islandProps(html: string): Array<{ name: string; props: Record<string, unknown> }> {
  const m = /<script type="application\/json" id="__hearth_islands">(.*?)<\/script>/s.exec(html);
  return m?.[1] ? JSON.parse(m[1]) : [];
}

describe("GET /", () => {
  test("lists live streams first with badge, viewers and links, before any JavaScript", async () => {
    const res = await testApp(manager()).request("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).toContain("<title>Hearth · Live channels</title>");
    const liveAt = html.indexOf("Speedrun night");
    const offAt = html.indexOf("Yesterday's &lt;stream>");
    expect(liveAt).toBeGreaterThan(0);
    expect(offAt).toBeGreaterThan(liveAt);
    expect(html).toContain('href="/watch/liveStream01"');
    expect(html).toContain('<span class="badge badge-live">LIVE</span>');
    expect(html).toContain("1.2K viewers");
    expect(html).toContain('src="http://localhost:8083/hls/liveStream01/thumb.jpg"');
    // The island is marked and only the islands this page uses are imported.
    expect(html).toContain('data-island="Directory"');
    expect(html).toContain('import I0 from "/islands/Directory-x.js"');
    expect(html).not.toContain("Player-x.js");
    expect(islandProps(html)[0]?.props.managerUrl).toBe("http://manager.test");
  });

  test("a stream whose publisher is reconnecting stays in the live list, marked", async () => {
    const flaky = summary({ publicId: "flakyStream1", name: "Flaky", reconnecting: true });
    const html = await (
      await testApp(
        manager({ listStreams: async () => ({ streams: [flaky, live], nextCursor: null }) }),
      ).request("/")
    ).text();
    expect(html).toContain('<span class="chip chip-reconnecting">Reconnecting…</span>');
    expect(html.match(/chip-reconnecting/g)?.length).toBe(1);
  });

  test("an empty directory tells a newcomer how to go live", async () => {
    const res = await testApp(
      manager({ listStreams: async () => ({ streams: [], nextCursor: null }) }),
    ).request("/");
    const html = await res.text();
    expect(html).toContain("Nobody is live right now.");
    expect(html).toContain('href="/broadcast"');
  });

  test("a manager outage still renders the page, with a 503 and a message", async () => {
    const down = manager({
      listStreams: async () => {
        throw new ManagerUnavailable("connection refused");
      },
    });
    const res = await testApp(down).request("/");
    expect(res.status).toBe(503);
    expect(await res.text()).toContain("Could not refresh the directory");
  });

  test("prop values cannot break out of the island script", async () => {
    const evil = summary({ publicId: "evilStream01", name: "</script><script>alert(1)</script>" });
    const res = await testApp(
      manager({ listStreams: async () => ({ streams: [evil], nextCursor: null }) }),
    ).request("/");
    const html = await res.text();
    expect(html).not.toContain("<script>alert(1)");
    expect(islandProps(html)[0]?.props.streams).toEqual([evil]);
  });
});

describe("GET /watch/:publicId", () => {
  test("renders name, player, quality options, chat and Open Graph tags", async () => {
    const res = await testApp(manager()).request("http://web.test/watch/liveStream01");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("<title>🔴 Speedrun night · Hearth</title>");
    expect(html).toContain('<meta property="og:title" content="Speedrun night"/>');
    expect(html).toContain('<meta property="og:url" content="http://web.test/watch/liveStream01"/>');
    expect(html).toContain(
      '<meta property="og:image" content="http://localhost:8083/hls/liveStream01/thumb.jpg"/>',
    );
    expect(html).toContain('<option value="720p">720p · 2.8 Mbps</option>');
    expect(html).toContain(
      '<h1 class="stream-title">Speedrun night</h1><span class="badge badge-live">LIVE</span>',
    );
    expect(html).toContain('aria-label="Stream chat"');
    expect(islandProps(html).map((i) => i.name)).toEqual(["Player", "Chat"]);
    expect(html).toContain('rel="modulepreload" href="/islands/Player-x.js"');
  });

  test("the stats toggle is a real button, closed at first (the overlay renders only once opened)", async () => {
    const html = await (await testApp(manager()).request("/watch/liveStream01")).text();
    expect(html).toMatch(
      /<button type="button" class="btn btn-small" aria-pressed="false" aria-controls="player-stats"[^>]*>Stats<\/button>/,
    );
    expect(html).not.toContain('data-testid="player-stats"');
  });

  test("a reconnecting stream renders the player with the Reconnecting... overlay, not the offline screen", async () => {
    const flaky = manager({ lookup: async (id) => lookup({ publicId: id, reconnecting: true }) });
    const html = await (await testApp(flaky).request("/watch/liveStream01")).text();
    expect(html).toContain('data-state="live"');
    expect(html).toContain('data-reconnecting="true"');
    expect(html).toContain("Reconnecting...");
    expect(html).not.toContain("is offline");
    expect(islandProps(html)[0]?.props).toMatchObject({ live: true, reconnecting: true });
  });

  test("an offline stream renders the offline screen", async () => {
    const off = manager({ lookup: async (id) => lookup({ publicId: id, name: "Quiet", live: false }) });
    const html = await (await testApp(off).request("/watch/liveStream01")).text();
    expect(html).toContain("Quiet is offline");
    expect(html).toContain('data-state="offline"');
  });

  test("unknown and malformed ids get the 404 page", async () => {
    const app = testApp(manager());
    for (const path of ["/watch/unknownId123", "/watch/bad!id", "/watch/x"]) {
      const res = await app.request(path);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain("This stream does not exist");
    }
  });

  test("a manager outage gives the error page with a retry link", async () => {
    const down = manager({
      lookup: async () => {
        throw new ManagerUnavailable("timeout");
      },
    });
    const res = await testApp(down).request("/watch/liveStream01");
    expect(res.status).toBe(503);
    const html = await res.text();
    expect(html).toContain("Something went wrong");
    expect(html).toContain('href="/watch/liveStream01"');
  });
});

describe("GET /broadcast", () => {
  test("is a shell that never contains a stream key, and is not indexed", async () => {
    let called = false;
    const spy = manager({
      listStreams: async () => {
        called = true;
        return { streams: [], nextCursor: null };
      },
    });
    const res = await testApp(spy).request("/broadcast");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    expect(html).toContain("<title>Go live · Hearth</title>");
    expect(html).toContain('<meta name="robots" content="noindex"/>');
    expect(html).toContain('data-island="Broadcast"');
    expect(html).not.toMatch(/privateId|streamKey/);
    expect(islandProps(html)).toEqual([
      { name: "Broadcast", props: { managerUrl: "http://manager.test", creationPolicy: "open" } },
    ]);
    expect(called).toBe(false);
  });

  test("with STREAM_CREATION=token the island is told to ask for an invite token", async () => {
    const html = await (await testApp(manager(), undefined, "token").request("/broadcast")).text();
    expect(islandProps(html)).toEqual([
      { name: "Broadcast", props: { managerUrl: "http://manager.test", creationPolicy: "token" } },
    ]);
  });
});

describe("GET /admin", () => {
  test("is a server-rendered shell with the Admin island: no data, no token, not indexed, not framed", async () => {
    let called = false;
    const spy = manager({
      listStreams: async () => {
        called = true;
        return { streams: [], nextCursor: null };
      },
    });
    const res = await testApp(spy).request("/admin");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    const html = await res.text();
    expect(html).toContain("<title>Operator · Hearth</title>");
    expect(html).toContain('<meta name="robots" content="noindex"/>');
    expect(html).toContain('data-island="Admin"');
    expect(html).toContain('rel="modulepreload" href="/islands/Admin-x.js"');
    expect(html).toContain('<h1 class="page-title">Operator</h1>');
    // The admin token lives in the operator's browser only: the page neither carries nor asks the server for data.
    expect(islandProps(html)).toEqual([{ name: "Admin", props: { managerUrl: "http://manager.test" } }]);
    expect(html).not.toMatch(/ADMIN_TOKEN=|Bearer /);
    expect(called).toBe(false);
  });
});

describe("errors and assets", () => {
  test("unknown paths get a helpful HTML 404", async () => {
    const res = await testApp(manager()).request("/no/such/page");
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain("<title>Not found · Hearth</title>");
    expect(html).toContain('href="/broadcast"');
  });

  test("a crashing page gets the 500 page with a request id, not a stack trace", async () => {
    const boom = manager({
      lookup: async () => {
        throw new TypeError("secret internals");
      },
    });
    // The watch route maps manager errors to 503; a bug elsewhere must still render cleanly.
    const app = testApp(boom);
    app.get("/boom", () => {
      throw new Error("secret internals");
    });
    const res = await app.request("/boom", { headers: { "x-request-id": "req-123" } });
    expect(res.status).toBe(500);
    const html = await res.text();
    expect(html).toContain("Request id: req-123");
    expect(html).not.toContain("secret internals");
  });

  test("favicon and static files are served; /favicon.ico redirects", async () => {
    const app = testApp(manager());
    const svg = await app.request("/static/favicon.svg");
    expect(svg.status).toBe(200);
    expect(svg.headers.get("content-type")).toBe("image/svg+xml");
    const ico = await app.request("/favicon.ico");
    expect(ico.status).toBe(301);
    expect(ico.headers.get("location")).toBe("/static/favicon.svg");
  });
});

describe("past broadcasts", () => {
  const older = video({
    videoId: "vidolder00000001",
    title: "Monday run",
    startedAt: "2026-11-23T18:00:00.000Z",
    durationSeconds: 245,
  });
  const newest = video({ videoId: "vidnewest0000001", title: "Friday run", durationSeconds: 3723 });
  const recording = video({ videoId: "vidrecording0001", state: "recording", endedAt: null });

  test("the watch page lists the stream's ready videos with thumbnail, duration and date", async () => {
    const asked: unknown[] = [];
    const m = manager({
      listVideos: async (q) => {
        asked.push(q);
        return { videos: [recording, newest, older], nextCursor: null };
      },
    });
    const html = await (await testApp(m).request("/watch/liveStream01")).text();
    expect(asked).toEqual([{ stream: "liveStream01", limit: 9 }]);
    expect(html).toContain('data-testid="past-broadcasts"');
    expect(html).toContain('href="/videos/vidnewest0000001"');
    expect(html).toContain('href="/videos/vidolder00000001"');
    // The live session's own recording is not a past broadcast.
    expect(html).not.toContain('href="/videos/vidrecording0001"');
    expect(html).toContain('src="http://localhost:8083/hls/vod/vidnewest0000001/thumb.jpg"');
    expect(html).toContain('<span class="chip chip-duration">1:02:03</span>');
    expect(html).toContain('<span class="chip chip-duration">4:05</span>');
    expect(html).toContain('<time datetime="2026-11-23T18:00:00.000Z">Nov 23, 2026</time>');
    // Newest first, as the manager answered.
    expect(html.indexOf("Friday run")).toBeLessThan(html.indexOf("Monday run"));
  });

  test("an offline watch page offers its latest broadcast prominently", async () => {
    const m = manager({
      lookup: async (id) => lookup({ publicId: id, name: "Quiet", live: false }),
      listVideos: async () => ({ videos: [newest, older], nextCursor: null }),
    });
    const html = await (await testApp(m).request("/watch/offStream001")).text();
    expect(html).toMatch(
      /<a class="btn btn-primary" href="\/videos\/vidnewest0000001" data-testid="latest-broadcast">Watch the latest broadcast \(1:02:03\)<\/a>/,
    );
    const player = islandProps(html).find((i) => i.name === "Player");
    expect(player?.props.latest).toEqual({
      videoId: "vidnewest0000001",
      title: "Friday run",
      durationSeconds: 3723,
    });
  });

  test("a live stream with a recording hands the player its DVR playlist; without videos there is no row", async () => {
    const dvr = {
      videoId: "vidrecording0001",
      hlsUrl: "http://localhost:8083/hls/vod/vidrecording0001/master.m3u8",
    };
    const m = manager({ lookup: async (id) => lookup({ publicId: id, dvr }) });
    const html = await (await testApp(m).request("/watch/liveStream01")).text();
    expect(islandProps(html).find((i) => i.name === "Player")?.props.dvr).toEqual(dvr);
    expect(html).not.toContain("past-broadcasts");
    expect(html).not.toContain("latest-broadcast");
  });

  test("a failing video list leaves the row out; the watch page and directory still render", async () => {
    const m = manager({
      listVideos: async () => {
        throw new ManagerUnavailable("manager answered 500");
      },
    });
    const watch = await testApp(m).request("/watch/liveStream01");
    expect(watch.status).toBe(200);
    expect(await watch.text()).not.toContain("past-broadcasts");
    const home = await testApp(m).request("/");
    expect(home.status).toBe(200);
    expect(await home.text()).toContain("Speedrun night");
  });

  test("the directory lists every stream's recent ready videos", async () => {
    const asked: unknown[] = [];
    const m = manager({
      listVideos: async (q) => {
        asked.push(q);
        return {
          videos: [
            newest,
            video({ videoId: "vidother00000001", publicId: "offStream001", title: "Other channel" }),
          ],
          nextCursor: null,
        };
      },
    });
    const html = await (await testApp(m).request("/")).text();
    expect(asked).toEqual([{ limit: 12 }]);
    expect(html).toContain('data-testid="recent-broadcasts"');
    expect(html).toContain('href="/videos/vidnewest0000001"');
    expect(html).toContain('href="/videos/vidother00000001"');
    expect(html).toContain("Other channel");
  });
});
