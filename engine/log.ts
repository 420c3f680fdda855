// Structured logs: JSON lines (pino) for machines, pretty lines (pino-pretty) on a terminal.
// Control plane only: the packet and request paths count, they do not log.
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { LbError } from './errors.js';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'auto' | 'json' | 'pretty';

export interface LogOptions {
  level?: LogLevel;
  /** `auto` (default): pretty when the destination is a terminal, JSON otherwise. */
  format?: LogFormat;
  /** Where lines go (default stdout). */
  destination?: DestinationStream & { isTTY?: boolean };
  /** Fields on every line (e.g. { node: 'lb1' }). */
  base?: Record<string, unknown>;
}

export function parseLogLevel(text: string): LogLevel {
  const level = text.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new LbError('ERR_BAD_LOG_LEVEL', `log level "${text}" is not one of ${LOG_LEVELS.join(', ')}.`);
  }
  return level as LogLevel;
}

/** A new logger; most code uses `logger(component)` instead. */
export function createLogger(opts: LogOptions = {}): Logger {
  const dest = opts.destination ?? process.stdout;
  const usePretty = opts.format === 'pretty' || ((opts.format ?? 'auto') === 'auto' && dest.isTTY === true);
  const stream = usePretty
    ? pretty({ destination: dest, colorize: dest.isTTY === true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })
    : dest;
  return pino({
    level: opts.level ?? 'info',
    base: { pid: process.pid, ...opts.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  }, stream);
}

let root: Logger | undefined;
const children = new Map<string, Logger>();

/** Sets up the process's root logger (the CLI calls this once, before anything logs). */
export function configureLogging(opts: LogOptions = {}): Logger {
  root = createLogger(opts);
  children.clear();
  return root;
}

/** The logger of a component ("scheduler", "l7", "admin", ...): a child of the root logger. */
export function logger(component: string): Logger {
  root ??= createLogger({ level: 'info' });
  let child = children.get(component);
  if (!child) {
    child = root.child({ component });
    children.set(component, child);
  }
  return child;
}

/** Changes the level of the root logger and of every component logger made so far. */
export function setLogLevel(level: LogLevel): void {
  root ??= createLogger({ level });
  root.level = level;
  for (const c of children.values()) c.level = level;
}
