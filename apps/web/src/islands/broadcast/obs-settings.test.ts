import { describe, expect, test } from "bun:test";
import { lookup } from "../../test-fixtures.ts";
import { statusLine } from "./obs-settings.tsx";

describe("the encoder status line", () => {
  test("live, reconnecting, refused with the node's reason, or waiting", () => {
    expect(statusLine(null)).toEqual({ text: "Waiting for your encoder…", refused: false });
    expect(statusLine(lookup({ live: true }))).toEqual({ text: "Live", refused: false });
    expect(statusLine(lookup({ live: true, reconnecting: true })).text).toBe("Reconnecting…");
    expect(statusLine(lookup({ live: false })).text).toBe("Waiting for your encoder…");
    const refused = statusLine(
      lookup({
        live: false,
        refusal: {
          code: "at_capacity",
          message: "This media node is at capacity (16 streams). Try again in 30 s.",
          at: new Date(0).toISOString(),
          retryAfterSeconds: 30,
        },
      }),
    );
    expect(refused).toEqual({
      text: "Refused: This media node is at capacity (16 streams). Try again in 30 s.",
      refused: true,
    });
  });
});
