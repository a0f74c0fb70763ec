import { describe, expect, test } from "bun:test";
import { lookup, testApp } from "../test-fixtures.ts";
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
    expect(names.sort()).toEqual(["Admin", "Broadcast", "Chat", "Directory", "Player"]);
    expect(Object.keys(bundle.entries).sort()).toEqual([
      "Admin",
      "Broadcast",
      "Chat",
      "Directory",
      "Player",
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
    // hls.js really is in that set (the budget would be meaningless without it).
    const player = bundle.files.get(bundle.entries.Player ?? "") ?? "";
    expect(player.length).toBeGreaterThan(200_000);
  });

  test("the served watch page references only files the bundle has", async () => {
    const app = testApp(
      {
        listStreams: async () => ({ streams: [], nextCursor: null }),
        lookup: async (id) => lookup({ publicId: id }),
      },
      bundle,
    );
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
