// The lab's public face: build a network of namespaces, use it, remove it.
export { Lab, labUp, labDown, attachLab, listLabs, reapStaleLabs, newPrefix } from './lab.js';
export type { LabHost, LabInterface, LabOptions, LabSummary, LinkStats, LinkCounters } from './lab.js';
export { arrayTopology, forwardingChain } from './array-topology.js';
export type { ArrayTopologyOptions, LinkOptions } from './array-topology.js';
export { planTopology } from './topology.js';
export type { TopologySpec, HostSpec, InterfaceSpec, HostRole } from './topology.js';
export { defaultVip, assertLabAddress } from './addressing.js';
export { spawnIn, NsProcess } from './process.js';
export type { SpawnOptions, ExitStatus } from './process.js';
