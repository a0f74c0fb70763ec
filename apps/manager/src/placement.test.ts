import { describe, expect, test } from "bun:test";
import { chooseNode, freeBudget, hasRoomForFullLadder, type NodeLoad } from "./placement.ts";

const n = (id: string, over: Partial<NodeLoad> = {}): NodeLoad => ({
  id,
  capacity: 10,
  active: 0,
  live: 0,
  pending: 0,
  budget: { total: 400, used: 0, fullLadder: 100, maxStreams: 8 },
  ...over,
});
const budget = (used: number, maxStreams = 8) => ({ total: 400, used, fullLadder: 100, maxStreams });

describe("placement", () => {
  test("a node with room for a full ladder wins over one with more streams' worth of nothing", () => {
    const picked = chooseNode([n("a", { budget: budget(350) }), n("b", { budget: budget(300) })]);
    expect(picked?.id).toBe("b");
    expect(hasRoomForFullLadder(n("b", { budget: budget(300) }))).toBe(true);
    expect(hasRoomForFullLadder(n("a", { budget: budget(350) }))).toBe(false);
  });

  test("among nodes with room, the most free budget; publishers on their way count as spent", () => {
    expect(chooseNode([n("a", { budget: budget(100) }), n("b", { budget: budget(0) })])?.id).toBe("b");
    // b has 2 publishers on the way: 400 - 0 - 200 = 200 < a's 300.
    expect(freeBudget(n("b", { pending: 2 }))).toBe(200);
    expect(chooseNode([n("a", { budget: budget(100) }), n("b", { pending: 2 })])?.id).toBe("a");
  });

  test("no room anywhere: the most free budget below the stream limit", () => {
    const a = n("a", { budget: budget(360) });
    const b = n("b", { budget: budget(320, 2), live: 2 });
    const c = n("c", { budget: budget(340) });
    expect(chooseNode([a, b, c])?.id).toBe("c");
  });

  test("nodes without a budget: the least loaded, ties by id", () => {
    const a = n("a", { budget: null, active: 4, capacity: 10 });
    const b = n("b", { budget: null, active: 1, capacity: 2 });
    const c = n("c", { budget: null, active: 3, capacity: 10 });
    expect(chooseNode([a, b, c])?.id).toBe("c");
    expect(chooseNode([n("z", { budget: null }), n("y", { budget: null })])?.id).toBe("y");
    expect(chooseNode([])).toBeUndefined();
  });

  test("a budgeted node with room beats an unbudgeted one", () => {
    expect(chooseNode([n("a", { budget: null }), n("b", { budget: budget(200), active: 5 })])?.id).toBe("b");
  });
});
