/** One healthy node as placement sees it. */
export interface NodeLoad {
  id: string;
  /** Streams this node is sized for (the node's MEDIA_CAPACITY), for the least-loaded fallback. */
  capacity: number;
  /** Streams assigned to it and not ended (live or waiting for their publisher). */
  active: number;
  /** Of those, the ones live now. */
  live: number;
  /** Assigned recently and not live yet: their publishers are probably on the way. */
  pending: number;
  /** From the node's newest heartbeat; null for a node that does not report one. */
  budget: { total: number; used: number; fullLadder: number; maxStreams: number } | null;
}

/** Budget not yet spoken for: what is free now, less a full ladder for each publisher on its way. */
export function freeBudget(n: NodeLoad): number | null {
  if (!n.budget) return null;
  return n.budget.total - n.budget.used - n.pending * n.budget.fullLadder;
}

/** Whether the node can take one more stream on the full ladder. */
export function hasRoomForFullLadder(n: NodeLoad): boolean {
  const free = freeBudget(n);
  return n.budget !== null && free !== null && free >= n.budget.fullLadder && !atLimit(n);
}

/** Whether the node is at its hard limit of streams (it would refuse the publish). */
export function atLimit(n: NodeLoad): boolean {
  return n.budget !== null && n.budget.maxStreams > 0 && n.live + n.pending >= n.budget.maxStreams;
}

/**
 * Where a new stream goes (issue 14): a node with room for a full ladder when one exists (the one with the
 * most free budget among them); else one below its stream limit with the most free budget (the stream will get
 * a reduced ladder or the source only); else the least loaded by streams per unit of capacity. Ties go to the
 * node id, so the choice is stable.
 */
export function chooseNode<T extends NodeLoad>(nodes: readonly T[]): T | undefined {
  const rank = (n: NodeLoad) => [
    hasRoomForFullLadder(n) ? 0 : 1,
    atLimit(n) ? 1 : 0,
    -(freeBudget(n) ?? Number.NEGATIVE_INFINITY),
    n.active / Math.max(1, n.capacity),
  ];
  return [...nodes].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) {
      const d = (ra[i] ?? 0) - (rb[i] ?? 0);
      if (d !== 0 && !Number.isNaN(d)) return d;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  })[0];
}
