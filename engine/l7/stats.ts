// Counters of one proxy instance (STYLE 11: counters, not logs, on the hot path).
export class ProxyStats {
  /** Client connections open now, accepted since start, closed at once for the connection limit, reset for their address. */
  connections = 0;
  accepted = 0;
  dropped = 0;
  denied = 0;
  /** Reset when accepted: the client had proxy.maxConnectionsPerClient open. */
  clientLimited = 0;
  requests = 0;
  responses = 0;
  tunnels = 0;
  /** Error pages sent, by status. */
  errors: Record<number, number> = {};
}
