import { describe, expect, test } from "bun:test";
import { retryAfterText } from "./format.ts";

describe("retryAfterText", () => {
  test("seconds become a sentence in s, min or h", () => {
    expect(retryAfterText("20")).toBe("try again in 20 s");
    expect(retryAfterText("300")).toBe("try again in 5 min");
    expect(retryAfterText("3599")).toBe("try again in 60 min");
    expect(retryAfterText("7200")).toBe("try again in 2 h");
  });
  test("an HTTP date is counted from now", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterText("Thu, 01 Jan 2026 00:10:00 GMT", now)).toBe("try again in 10 min");
  });
  test("absent, past or unreadable: nothing", () => {
    expect(retryAfterText(null)).toBe("");
    expect(retryAfterText("soon")).toBe("");
    expect(retryAfterText("Thu, 01 Jan 2026 00:10:00 GMT", Date.parse("2026-02-01T00:00:00Z"))).toBe("");
  });
});
