// The seam between the election (engine/cluster) and the packet engine (the scheduler role).
// The cluster part decides *whether* this node is the scheduler and *which* LB nodes are up;
// the role does the work (rings, forwarding, VIP announcements). Both sides see only this.

/** What the elected scheduler does; implemented by the daemon's scheduler part. */
export interface SchedulerRole {
  /** Become the scheduler: start forwarding and announce the VIP (gratuitous ARP, unsolicited NA). */
  activate(): Promise<void>;
  /** Stop forwarding at once (another node is, or is about to be, the scheduler). */
  deactivate(): Promise<void>;
  /**
   * The health view of the LB nodes changed: the ids of the nodes that are up. Called on every
   * node (not only the scheduler), so a newly elected scheduler starts with the right table.
   */
  setNodesUp(up: ReadonlySet<string>): void;
  /**
   * The node named takes no new flows (its weight counts as 0; null: none is held), though its
   * established flows stay with it while it is up: a scheduler that fell silent, until the probes
   * sent it at the takeover settle its state. Absent: no hold.
   */
  holdNewFlows?(id: string | null): void;
  /** Announce the VIP again (another router claimed it for a while); nothing if not active. */
  reannounce?(): void;
  /** True while this node forwards. */
  readonly active: boolean;
  /**
   * Resolves once this node knows the array's established flows (the scheduler's flow table, or
   * none came in time). Until then it does not preempt: taking the role without them would send
   * flows that the Maglev table moved to the wrong node. Absent: at once.
   */
  whenSynced?(): Promise<void>;
}
