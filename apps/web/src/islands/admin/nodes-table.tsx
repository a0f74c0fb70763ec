import type { AdminNode } from "@hearth/contracts/mini";
import { AdminTable } from "./admin-table.tsx";

/** "42 %" of a node's budget in use; "—" when the node reports none. */
function usage(n: AdminNode): string {
  if (n.budgetTotal === null || n.budgetUsed === null || n.budgetTotal <= 0) return "—";
  return `${Math.round((n.budgetUsed / n.budgetTotal) * 100)} % (${n.budgetUsed.toFixed(1)} of ${n.budgetTotal.toFixed(1)})`;
}

/** Media nodes: health, streams and the share of their capacity in use. */
export function NodesTable({ nodes }: { nodes: AdminNode[] }) {
  if (nodes.length === 0) return <p class="muted">No media node has reported yet.</p>;
  return (
    <AdminTable
      testId="admin-nodes"
      columns={["Node", "Health", "Streams", "Capacity in use", "Last heartbeat"]}
    >
      {nodes.map((n) => (
        <tr key={n.id} data-node-id={n.id}>
          <td>{n.id}</td>
          <td>
            <span class={`badge ${n.healthy ? "badge-ok" : "badge-offline"}`}>
              {n.healthy ? "healthy" : "silent"}
            </span>
          </td>
          <td>{n.streams}</td>
          <td>{usage(n)}</td>
          <td class="muted small">{new Date(n.heartbeatAt).toLocaleTimeString()}</td>
        </tr>
      ))}
    </AdminTable>
  );
}
