// The config layer: schema, types, loader, errors.
export { configSchema, isPrime, type Config, type ConfigInput, type NodeConfig, type ServiceConfig, type PoolConfig,
  type ServerConfig, type RouteConfig, type CdnConfig, type BackendCheckConfig, type Policy } from './schema.js';
export { loadConfig, parseConfig, validateConfig, type ParseOptions, type ValidateResult } from './load.js';
export { ConfigError, formatIssue, type ConfigIssue } from './errors.js';
export { nodeById, adminEndpoint, vipAddresses, clusterFamily } from './lookup.js';
export { parseDuration, parseSize } from './units.js';
export { l7Options, l7Policy } from './to-l7.js';
export { schedulerServices, maglevNodes, cdnRules, cdnCacheOptions } from './to-scheduler.js';
