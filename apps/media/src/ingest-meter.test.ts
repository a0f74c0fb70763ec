import { expect, test } from "bun:test";
import { IngestMeter } from "./ingest-meter.ts";

test("bits per second over each sampled second; a sample under a second later changes nothing", () => {
  let now = 1_000_000;
  let bytes = 500;
  const m = new IngestMeter(
    () => bytes,
    () => now,
  );
  expect(m.bitsPerSecond).toBe(0);
  now += 500;
  bytes += 10_000;
  m.sample();
  expect(m.bitsPerSecond).toBe(0);
  now += 500;
  bytes += 15_000;
  m.sample();
  expect(m.bitsPerSecond).toBe(200_000);
  now += 2000;
  bytes += 50_000;
  m.sample();
  expect(m.bitsPerSecond).toBe(200_000);
});
