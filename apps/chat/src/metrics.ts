import { AppMetrics } from "@hearth/server-kit";

/** Fan-out buckets, seconds: one batch to a small room is sub-millisecond, 10,000 sockets take ~70 ms. */
const FANOUT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5];

/** What the scrape-time gauges read from the hub. */
interface HubGauges {
  rooms(): number;
  busConnected(): boolean;
  /** Client addresses holding a connection (the per-address cap's map). */
  addresses(): number;
}

/**
 * The chat node's Prometheus series on prom-client; one instance per app, injected. The counting API
 * (`connections++`, `drop(reason)`) stays plain so the hot path reads like arithmetic.
 */
export class ChatMetrics {
  readonly app = new AppMetrics("chat");
  private readonly conns = this.app.gauge("chat_connections", "Open WebSocket connections on this node.");
  private readonly inTotal = this.app.counter("chat_messages_in_total", "Messages accepted from clients.");
  private readonly outTotal = this.app.counter(
    "chat_messages_out_total",
    "Message frames delivered to clients.",
  );
  private readonly limitHits = this.app.counter(
    "chat_rate_limit_hits_total",
    "Messages refused by the per-connection token bucket.",
  );
  private readonly drops = this.app.counter("chat_drops_total", "Frames and messages refused, by reason.", [
    "reason",
  ]);
  private readonly closes = this.app.counter(
    "chat_server_closes_total",
    "Connections closed by the server, by reason.",
    ["reason"],
  );
  private readonly refusals = this.app.counter(
    "chat_connections_refused_total",
    "Connections refused before the upgrade, by reason (per_ip_limit: CHAT_MAX_CONNECTIONS_PER_IP).",
    ["reason"],
  );
  /** Time to write one batch of frames to a room's local sockets. */
  readonly fanoutSeconds = this.app.histogram(
    "chat_fanout_seconds",
    "Time to hand one batch of frames to a room's local sockets.",
    FANOUT_BUCKETS,
  );
  private open = 0;
  /** Plain copies of the counters, so `messagesIn++` reads the value without asking prom-client. */
  private n = { in: 0, out: 0, limit: 0 };
  /** Where the room and bus gauges read from; the app sets it once it has its hub. */
  private hub: HubGauges | null = null;

  constructor() {
    this.app.gauge("chat_rooms", "Rooms with clients on this node.", [], (g) =>
      g.set(this.hub?.rooms() ?? 0),
    );
    this.app.gauge(
      "chat_bus_connected",
      "Whether events reach other chat nodes (1 without Redis).",
      [],
      (g) => g.set(this.hub?.busConnected() ? 1 : 0),
    );
    this.app.gauge(
      "chat_client_addresses",
      "Client addresses holding at least one connection on this node.",
      [],
      (g) => g.set(this.hub?.addresses() ?? 0),
    );
  }

  /** Reads rooms and the bus's state from the hub at scrape time. */
  observeHub(hub: HubGauges): void {
    this.hub = hub;
  }

  get connections(): number {
    return this.open;
  }
  set connections(n: number) {
    this.open = n;
    this.conns.set(n);
  }

  set messagesIn(n: number) {
    this.inTotal.inc(n - this.n.in);
    this.n.in = n;
  }
  get messagesIn(): number {
    return this.n.in;
  }

  /** Message frames handed to sockets (one message to 1,000 clients counts 1,000). */
  set messagesOut(n: number) {
    this.outTotal.inc(n - this.n.out);
    this.n.out = n;
  }
  get messagesOut(): number {
    return this.n.out;
  }

  set rateLimitHits(n: number) {
    this.limitHits.inc(n - this.n.limit);
    this.n.limit = n;
  }
  get rateLimitHits(): number {
    return this.n.limit;
  }

  /** Counts a refused frame or message by reason. */
  drop(reason: string): void {
    this.drops.inc({ reason });
  }

  /** Counts a connection the server closed, by reason. */
  closed(reason: string): void {
    this.closes.inc({ reason });
  }

  /** Counts a connection refused before the upgrade (e.g. the per-address limit). */
  refused(reason: string): void {
    this.refusals.inc({ reason });
  }

  /** The text exposition for `/metrics`. */
  render(): Promise<Response> {
    return this.app.render();
  }
}
