import { expect, test } from "bun:test";
import { httpManagerApi, ManagerUnavailable } from "./manager-api.ts";
import { clip, lookup, summary, video } from "./test-fixtures.ts";

/** A fetch that records URLs and answers from a table (the real manager is tested in its own app). */
function fakeFetch(table: Record<string, Response | (() => Response)>) {
  const seen: string[] = [];
  const f = async (req: Request) => {
    seen.push(req.url);
    const r = table[new URL(req.url).pathname];
    if (!r) return new Response("{}", { status: 404 });
    return typeof r === "function" ? r() : r;
  };
  return { f, seen };
}

test("keeps a base path, parses bodies with the contracts, maps 404 to null", async () => {
  const { f, seen } = fakeFetch({
    "/api/streams": Response.json({ streams: [summary()], nextCursor: null }),
    "/api/stream/abcdEFGH1234": Response.json(lookup()),
  });
  const api = httpManagerApi({ baseUrl: "http://edge.test/api/", timeoutMs: 1000, fetch: f });
  expect((await api.listStreams()).streams[0]?.name).toBe("Test stream");
  expect((await api.lookup("abcdEFGH1234"))?.rungs.length).toBe(2);
  expect(await api.lookup("unknownId123")).toBeNull();
  // A malformed id never reaches the network.
  expect(await api.lookup("../streams")).toBeNull();
  expect(seen).toEqual([
    "http://edge.test/api/streams",
    "http://edge.test/api/stream/abcdEFGH1234",
    "http://edge.test/api/stream/unknownId123",
  ]);
});

test("errors, bad bodies and unreachable managers become ManagerUnavailable", async () => {
  const cases = [
    () => new Response("oops", { status: 500 }),
    () => Response.json({ streams: "nope" }),
    () => {
      throw new TypeError("connection refused");
    },
  ];
  for (const answer of cases) {
    const api = httpManagerApi({ baseUrl: "http://m.test", timeoutMs: 1000, fetch: async () => answer() });
    await expect(api.listStreams()).rejects.toBeInstanceOf(ManagerUnavailable);
  }
});

test("videos and clips: query strings, contract parsing, 404 as null, bad ids never sent", async () => {
  const { f, seen } = fakeFetch({
    "/videos": () => Response.json({ videos: [video()], nextCursor: "c1" }),
    "/video/vid0000000000001": () => Response.json(video()),
    "/clip/clip000000000001": () => Response.json(clip()),
  });
  const api = httpManagerApi({ baseUrl: "http://m.test", timeoutMs: 1000, fetch: f });
  expect((await api.listVideos({ stream: "abcdEFGH1234", limit: 8 })).videos[0]?.durationSeconds).toBe(3723);
  expect((await api.listVideos({})).nextCursor).toBe("c1");
  expect((await api.video("vid0000000000001"))?.title).toBe("Test stream");
  expect(await api.video("unknown000000001")).toBeNull();
  expect((await api.clip("clip000000000001"))?.durationSeconds).toBe(30);
  expect(await api.clip("unknown000000001")).toBeNull();
  expect(await api.video("../streams")).toBeNull();
  expect(await api.clip("ABC")).toBeNull();
  expect(seen).toEqual([
    "http://m.test/videos?stream=abcdEFGH1234&limit=8",
    "http://m.test/videos",
    "http://m.test/video/vid0000000000001",
    "http://m.test/video/unknown000000001",
    "http://m.test/clip/clip000000000001",
    "http://m.test/clip/unknown000000001",
  ]);
  const bad = httpManagerApi({
    baseUrl: "http://m.test",
    timeoutMs: 1000,
    fetch: async () => Response.json({ videoId: "x" }),
  });
  await expect(bad.video("vid0000000000001")).rejects.toBeInstanceOf(ManagerUnavailable);
});
