import { describe, expect, test } from "bun:test";
import { emptyManager, lookup, testApp, video } from "../test-fixtures.ts";
import { buildIslands, islandFiles } from "./build-islands.ts";

const bundle = await buildIslands();

/** Gzip bytes of every script a page with these islands loads: up front and by dynamic import(). */
function firstLoadGzip(names: string[]): number {
  const upFront = bundle.scriptsFor(["boot", ...names]);
  const dynamic = upFront.flatMap((p) =>
    [...(bundle.files.get(p) ?? "").matchAll(/import\(\s*["']\.\/([^"']+\.js)["']\s*\)/g)].map(
      (m) => `/islands/${m[1]}`,
    ),
  );
  return bundle
    .closure([...upFront, ...dynamic])
    .reduce((n, p) => n + Bun.gzipSync(bundle.files.get(p) ?? "").length, 0);
}

describe("island build", () => {
  test("every PascalCase module in islands/ is an entry, plus boot", () => {
    const names = islandFiles().map((f) => f.replace(/^.*\/(\w+)\.tsx$/, "$1"));
    expect(names.sort()).toEqual([
      "Admin",
      "Broadcast",
      "Chat",
      "ChatReplay",
      "Directory",
      "Player",
      "VodPlayer",
    ]);
    expect(Object.keys(bundle.entries).sort()).toEqual([
      "Admin",
      "Broadcast",
      "Chat",
      "ChatReplay",
      "Directory",
      "Player",
      "VodPlayer",
      "boot",
    ]);
  });

  test("preact is one shared chunk: islands on the same page hydrate with the same instance", () => {
    const watch = bundle.scriptsFor(["boot", "Player", "Chat"]);
    const withHydrate = watch.filter((p) => /\b__k\b|hydrate/.test(bundle.files.get(p) ?? ""));
    expect(withHydrate.length).toBeGreaterThan(0);
    // boot and both islands all import the same chunks rather than embedding their own preact.
    const bootImports = bundle.scriptsFor(["boot"]);
    for (const p of bootImports) if (p !== bundle.entries.boot) expect(watch).toContain(p);
  });

  test("/watch loads under 150 KB of gzip JavaScript, hls.js included", () => {
    const watch = firstLoadGzip(["Player", "Chat"]);
    expect(watch).toBeLessThan(150 * 1024);
    // hls.js really is in that set (the budget would be meaningless without it); it is a chunk of its own now
    // that the recordings' player shares it.
    const sizes = bundle.scriptsFor(["Player"]).map((p) => (bundle.files.get(p) ?? "").length);
    expect(Math.max(...sizes)).toBeGreaterThan(200_000);
  });

  test("/videos/:id (player, clip button, chat replay) loads under the same 150 KB", () => {
    expect(firstLoadGzip(["VodPlayer", "ChatReplay"])).toBeLessThan(150 * 1024);
  });

  test("the served video page references only files the bundle has", async () => {
    const app = testApp(emptyManager({ video: async (id) => video({ videoId: id }) }), bundle);
    const html = await (await app.request("/videos/vid0000000000001")).text();
    const refs = [...html.matchAll(/"(\/islands\/[^"]+\.js)"/g)].map((m) => m[1] as string);
    expect(refs.some((r) => r.includes("VodPlayer"))).toBe(true);
    expect(refs.some((r) => r.includes("ChatReplay"))).toBe(true);
    for (const ref of refs) expect((await app.request(ref)).status).toBe(200);
  });

  test("the served watch page references only files the bundle has", async () => {
    const app = testApp(emptyManager({ lookup: async (id) => lookup({ publicId: id }) }), bundle);
    const html = await (await app.request("/watch/abcdEFGH1234")).text();
    const refs = [...html.matchAll(/"(\/islands\/[^"]+\.js)"/g)].map((m) => m[1] as string);
    expect(refs.length).toBeGreaterThan(3);
    for (const ref of refs) {
      const res = await app.request(ref);
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toContain("immutable");
    }
  });
});
