import { expect, test } from "bun:test";
import { firstMediaSequence } from "./media-sequence.ts";

test("a later session starts past where an earlier one stopped, even one with short segments", () => {
  const start = Date.UTC(2026, 10, 29, 1, 0, 0);
  const first = firstMediaSequence(start, 1);
  // A 10-minute session of 1 s segments with a 0.85 s segment every other one and a runt every 20 s.
  const segments = Math.ceil(600 / 0.925) + 30;
  const next = firstMediaSequence(start + 600_000, 1);
  expect(next).toBeGreaterThan(first + segments);
  // A 2 s target counts half as fast, and the numbers fit the resource names (at most 12 digits).
  expect(firstMediaSequence(start, 2)).toBe(Math.floor(first / 2));
  expect(String(first).length).toBeLessThanOrEqual(12);
});
