import { expect, test } from "bun:test";
import { pageCache } from "./page-cache.ts";

test("fresh entries come from memory; expired ones refresh once in the background", async () => {
  const cache = pageCache(50);
  let loads = 0;
  const load = async () => {
    loads++;
    await Bun.sleep(5);
    return `v${loads}`;
  };
  expect(await Promise.all([cache.get("k", load), cache.get("k", load)])).toEqual(["v1", "v1"]);
  expect(loads).toBe(1);
  await Bun.sleep(60);
  // Expired: the stale page answers while exactly one refresh runs.
  expect(await Promise.all([cache.get("k", load), cache.get("k", load), cache.get("k", load)])).toEqual([
    "v1",
    "v1",
    "v1",
  ]);
  await Bun.sleep(10);
  expect(loads).toBe(2);
  expect(await cache.get("k", load)).toBe("v2");
  cache.clear();
  expect(await cache.get("k", load)).toBe("v3");
});

test("a ttl of 0 always loads", async () => {
  const cache = pageCache(0);
  let n = 0;
  const load = async () => String(++n);
  expect(await cache.get("k", load)).toBe("1");
  expect(await cache.get("k", load)).toBe("2");
});
