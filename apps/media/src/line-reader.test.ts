import { expect, test } from "bun:test";
import { LineTail, readLines } from "./line-reader.ts";

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield new TextEncoder().encode(p);
}

async function all(src: AsyncIterable<Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of readLines(src)) out.push(l);
  return out;
}

test("a line torn across chunks comes out whole", async () => {
  expect(await all(chunks("spe", "ed=1.0", "2x\nprogr", "ess=continue\n"))).toEqual([
    "speed=1.02x",
    "progress=continue",
  ]);
});

test("a multi-byte character split between chunks is decoded once whole", async () => {
  const bytes = new TextEncoder().encode("é\n");
  async function* split() {
    yield bytes.subarray(0, 1);
    yield bytes.subarray(1);
  }
  expect(await all(split())).toEqual(["é"]);
});

test("CRLF endings and a last line without a newline", async () => {
  expect(await all(chunks("a\r\nb"))).toEqual(["a", "b"]);
});

test("a stream that errors ends the lines instead of throwing", async () => {
  async function* broken() {
    yield new TextEncoder().encode("one\ntw");
    throw new Error("EPIPE");
  }
  expect(await all(broken())).toEqual(["one", "tw"]);
});

test("the tail keeps the last lines only", () => {
  const t = new LineTail(2);
  for (const l of ["a", "", "b", "c"]) t.push(l);
  expect(t.text()).toBe("b\nc");
});
