import { describe, expect, test } from "bun:test";
import { randomLowerAlnumId } from "./random-id.ts";

describe("randomLowerAlnumId", () => {
  test("gives `length` characters of [a-z0-9], different each time", () => {
    const ids = Array.from({ length: 200 }, () => randomLowerAlnumId(16));
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]{16}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(randomLowerAlnumId(40)).toMatch(/^[a-z0-9]{40}$/);
  });
});
