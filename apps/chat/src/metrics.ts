/** The chat node's Prometheus counters; one instance per app, injected. */
export class ChatMetrics {
  connections = 0;
  messagesIn = 0;
  /** Message frames handed to sockets (one message to 1,000 clients counts 1,000). */
  messagesOut = 0;
  rateLimitHits = 0;
  readonly drops = new Map<string, number>();
  readonly closes = new Map<string, number>();
  /** Connections refused before the upgrade, by reason. */
  readonly refusals = new Map<string, number>();

  /** Counts a refused frame or message by reason. */
  drop(reason: string): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
  }

  /** Counts a connection the server closed, by reason. */
  closed(reason: string): void {
    this.closes.set(reason, (this.closes.get(reason) ?? 0) + 1);
  }

  /** Counts a connection refused before the upgrade (e.g. the per-address limit). */
  refused(reason: string): void {
    this.refusals.set(reason, (this.refusals.get(reason) ?? 0) + 1);
  }

  /** The Prometheus text exposition format. */
  render(extra: { rooms: number; busConnected: boolean; addresses: number }): string {
    const lines = [
      "# HELP chat_connections Open WebSocket connections on this node.",
      "# TYPE chat_connections gauge",
      `chat_connections ${this.connections}`,
      "# HELP chat_rooms Rooms with clients on this node.",
      "# TYPE chat_rooms gauge",
      `chat_rooms ${extra.rooms}`,
      "# HELP chat_messages_in_total Messages accepted from clients.",
      "# TYPE chat_messages_in_total counter",
      `chat_messages_in_total ${this.messagesIn}`,
      "# HELP chat_messages_out_total Message frames delivered to clients.",
      "# TYPE chat_messages_out_total counter",
      `chat_messages_out_total ${this.messagesOut}`,
      "# HELP chat_rate_limit_hits_total Messages refused by the per-connection token bucket.",
      "# TYPE chat_rate_limit_hits_total counter",
      `chat_rate_limit_hits_total ${this.rateLimitHits}`,
      "# HELP chat_drops_total Frames and messages refused, by reason.",
      "# TYPE chat_drops_total counter",
      ...[...this.drops].map(([r, n]) => `chat_drops_total{reason="${r}"} ${n}`),
      "# HELP chat_server_closes_total Connections closed by the server, by reason.",
      "# TYPE chat_server_closes_total counter",
      ...[...this.closes].map(([r, n]) => `chat_server_closes_total{reason="${r}"} ${n}`),
      "# HELP chat_connections_refused_total Connections refused before the upgrade, by reason.",
      "# TYPE chat_connections_refused_total counter",
      ...[...this.refusals].map(([r, n]) => `chat_connections_refused_total{reason="${r}"} ${n}`),
      "# HELP chat_client_addresses Client addresses holding at least one connection on this node.",
      "# TYPE chat_client_addresses gauge",
      `chat_client_addresses ${extra.addresses}`,
      "# HELP chat_bus_connected Whether events reach other chat nodes (1 without Redis).",
      "# TYPE chat_bus_connected gauge",
      `chat_bus_connected ${extra.busConnected ? 1 : 0}`,
    ];
    return `${lines.join("\n")}\n`;
  }
}
