import type { AdminNode } from "@hearth/contracts/mini";

/** "42 %" of a node's budget in use; "—" when the node reports none. */
function usage(n: AdminNode): string {
  if (n.budgetTotal === null || n.budgetUsed === null || n.budgetTotal <= 0) return "—";
  return `${Math.round((n.budgetUsed / n.budgetTotal) * 100)} % (${n.budgetUsed.toFixed(1)} of ${n.budgetTotal.toFixed(1)})`;
}

/** Media nodes: health, streams and the share of their capacity in use. */
export function NodesTable({ nodes }: { nodes: AdminNode[] }) {
  if (nodes.length === 0) return <p class="muted">No media node has reported yet.</p>;
  return (
    <table class="admin-table" data-testid="admin-nodes">
      <thead>
        <tr>
          <th scope="col">Node</th>
          <th scope="col">Health</th>
          <th scope="col">Streams</th>
          <th scope="col">Capacity in use</th>
          <th scope="col">Last heartbeat</th>
        </tr>
      </thead>
      <tbody>
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
      </tbody>
    </table>
  );
}
