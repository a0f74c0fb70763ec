import { expect, test } from "bun:test";
import { TokenBucket } from "./token-bucket.ts";

test("a bucket allows its burst, then refills at its rate", () => {
  let now = 0;
  const bucket = new TokenBucket(3, 0.5, () => now);
  expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  now += 1999;
  expect(bucket.take()).toBe(false);
  now += 1;
  expect(bucket.take()).toBe(true);
  now += 60_000;
  expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
});
