import type { AdminStream } from "@hearth/contracts/mini";
import { AdminTable } from "./admin-table.tsx";

/** What the ingest looks like from the node: reconnecting, not real-time, or fine. */
function ingestHealth(s: AdminStream): string {
  if (!s.live) return "offline";
  if (s.reconnecting) return "reconnecting";
  if (!s.realtime) return "falling behind real time";
  return "healthy";
}

export interface StreamsTableProps {
  streams: AdminStream[];
  /** Public ids being ended right now (their button is disabled). */
  ending: Set<string>;
  onEnd(s: AdminStream): void;
}

/** Streams that exist and are not ended: live ones with rungs, viewers and ingest health; an End button each. */
export function StreamsTable({ streams, ending, onEnd }: StreamsTableProps) {
  if (streams.length === 0) return <p class="muted">No streams right now.</p>;
  return (
    <AdminTable
      testId="admin-streams"
      columns={["Stream", "State", "Node", "Rungs", "Viewers", "Ingest"]}
      actions
    >
      {streams.map((s) => (
        <tr key={s.publicId} data-public-id={s.publicId} data-live={s.live ? "true" : "false"}>
          <td>
            <a href={`/watch/${s.publicId}`}>{s.name}</a>
            <div class="muted small">{s.publicId}</div>
          </td>
          <td>
            {s.live ? (
              <span class="badge badge-live">LIVE</span>
            ) : (
              <span class="badge badge-offline">OFFLINE</span>
            )}
          </td>
          <td>{s.node ?? "—"}</td>
          <td>
            {s.rungs.length > 0 ? s.rungs.join(", ") : "—"}
            {s.quality && s.quality !== "full" && <div class="muted small">{`quality: ${s.quality}`}</div>}
          </td>
          <td>{s.viewers}</td>
          <td data-testid="ingest-health">{ingestHealth(s)}</td>
          <td>
            <button
              type="button"
              class="btn btn-small btn-danger"
              disabled={ending.has(s.publicId)}
              onClick={() => onEnd(s)}
              aria-label={`End stream ${s.name}`}
            >
              {ending.has(s.publicId) ? "Ending…" : "End stream"}
            </button>
          </td>
        </tr>
      ))}
    </AdminTable>
  );
}
