// The `lbarray` command (commander). Each subcommand parses its options, does the shared checks
// (config, node, privileges) and hands over to one function in commands/. Errors end here: an
// LbError is printed as its one sentence (the stack only with --debug); exit codes are
// 0 success, 1 failure (130 when the demo is interrupted).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { isHttpUrl, PURGE_URL_EXPECTED } from '../admin/server.js';
import { configJsonSchema } from '../config/docs.js';
import { loadConfig, nodeById } from '../config/index.js';
import { isLbError } from '../errors.js';
import { configureLogging, LOG_LEVELS, parseLogLevel, type LogLevel } from '../log.js';
import { drainNode, purgeCache, reloadNodes, setServerState } from './commands/actions.js';
import { describeConfig } from './commands/check.js';
import { runDemo } from './commands/demo.js';
import { labDown, labUp } from './commands/lab.js';
import { replayCapture } from './commands/replay.js';
import { nodeLogOptions, runNode } from './commands/run.js';
import { showStatus } from './commands/status.js';
import { ADMIN_STATES, type AdminState } from '../l7/admin-state.js';
import { processIo, type CliIo } from './io.js';
import { requireCapabilities, requireInterface } from './preflight.js';

function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

export function version(): string {
  return (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

const DEFAULT_CONFIG = process.env.LBARRAY_CONFIG ?? '/etc/lbarray/lbarray.yaml';

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number.');
  return n;
}

function positiveNumber(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number.');
  return n;
}

function purgeUrl(text: string): string {
  if (!isHttpUrl(text)) throw new InvalidArgumentError(`${PURGE_URL_EXPECTED}.`);
  return text;
}

function logLevelOption(text: string): LogLevel {
  try { return parseLogLevel(text); } catch (e) { throw new InvalidArgumentError((e as Error).message); }
}

const configOption = () => new Option('-c, --config <file>', 'the array config (YAML or JSON)').default(DEFAULT_CONFIG);

/** Builds the program; `exit` receives each command's exit code. */
export function buildProgram(io: CliIo, exit: (code: number) => void): Command {
  const program = new Command('lbarray')
    .description('A load-balancing array for web traffic: a Maglev scheduler in front of L7 proxy nodes, with direct server return.')
    .version(version(), '-V, --version')
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).argParser(logLevelOption))
    .option('--debug', 'print stack traces of errors')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError('(see lbarray --help)');

  const logLevelOf = (cmd: Command, fallback: LogLevel) => (cmd.optsWithGlobals().logLevel as LogLevel | undefined) ?? fallback;

  program.command('run')
    .description('run one node of the array (the L7 node; the scheduler too when elected), in the foreground')
    .addOption(configOption())
    .requiredOption('-n, --node <id>', 'this node\'s id in the config')
    .action(async (opts: { config: string; node: string }, cmd: Command) => {
      const config = loadConfig(opts.config);
      const node = nodeById(config, opts.node);
      const log = configureLogging(nodeLogOptions(config, node, logLevelOf(cmd, config.logging.level)));
      requireCapabilities('lbarray run', ['CAP_NET_RAW', 'CAP_NET_ADMIN']);
      requireInterface(node.interface, node.id);
      exit(await runNode({ config, configFile: path.resolve(opts.config), node, log, io }));
    });

  program.command('check')
    .description('validate a config and print the array as understood (exit 1 listing every error)')
    .addOption(configOption())
    .option('--json', 'print the parsed config (defaults filled in) as JSON')
    .action((opts: { config: string; json?: boolean }) => {
      const config = loadConfig(opts.config);
      if (opts.json) io.out(`${JSON.stringify(config, null, 2)}\n`);
      else io.out(`${opts.config}: valid\n\n${describeConfig(config, opts.config)}`);
      exit(0);
    });

  program.command('demo')
    .description('build a lab, run the array under load with a live dashboard, fail over, tear down')
    .option('-s, --seconds <n>', 'how long to drive load', positiveInt, 60)
    .option('--capture <file>', 'record the client\'s traffic with the VIP as classic pcap (dumpcap in the client\'s namespace)')
    .option('--capture-packets <n>', 'with --capture: stop recording after this many packets (the file also stops at 1.9 MB)', positiveInt, 5000)
    .action(async (opts: { seconds: number; capture?: string; capturePackets: number }) => {
      requireCapabilities('lbarray demo', ['CAP_NET_ADMIN', 'CAP_SYS_ADMIN']);
      const capture = opts.capture === undefined ? undefined : { file: opts.capture, packets: opts.capturePackets };
      exit(await runDemo({ seconds: opts.seconds, io, capture }));
    });

  program.command('lab')
    .description('build (up) or remove (down) the lab network of network namespaces')
    .addArgument(new Argument('<action>', 'up or down').choices(['up', 'down']))
    .argument('[prefix]', 'lab down: the prefix lab up printed (default: the one lab up made)')
    .addOption(new Option('-c, --config <file>', 'lab up: the array config').default(path.join(packageRoot(), 'examples/lab.yaml')))
    .option('--backends <n>', 'lab up: back-end hosts', positiveInt, 3)
    .option('--clients <n>', 'lab up: client hosts', positiveInt, 1)
    .option('--json', 'lab up: print the lab as JSON')
    .action(async (action: 'up' | 'down', prefix: string | undefined, opts: { config: string; backends: number; clients: number; json?: boolean }) => {
      requireCapabilities(`lbarray lab ${action}`, ['CAP_NET_ADMIN', 'CAP_SYS_ADMIN']);
      exit(action === 'up'
        ? await labUp({ config: loadConfig(opts.config), io, backends: opts.backends, clients: opts.clients, json: opts.json })
        : await labDown({ io, prefix }));
    });

  program.command('replay')
    .description('replay a capture through the scheduler\'s decide + rewrite path on one core: rate and decision histogram')
    .argument('<capture>', 'a classic pcap file (Ethernet), e.g. captures/web-flows.pcap')
    .addOption(new Option('-c, --config <file>', 'the array whose VIPs, services and nodes decide').default(path.join(packageRoot(), 'examples/lab.yaml')))
    .option('-s, --seconds <n>', 'keep replaying this long', positiveNumber, 1)
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts: { config: string; seconds: number; json?: boolean }) => {
      exit(await replayCapture({ file, config: loadConfig(opts.config), seconds: opts.seconds, json: opts.json === true, io }));
    });

  program.command('status')
    .description('ask the nodes\' admin endpoints and print their state')
    .addOption(configOption())
    .option('-n, --node <id>', 'ask only this node (and show its back-ends and counters)')
    .action(async (opts: { config: string; node?: string }) => {
      exit(await showStatus(loadConfig(opts.config), io, opts.node));
    });

  program.command('drain')
    .description('drain a node: no new flows, existing flows finish (--undo puts it back)')
    .argument('<node>', 'node id')
    .addOption(configOption())
    .option('--undo', 'take new flows again')
    .action(async (nodeId: string, opts: { config: string; undo?: boolean }) => {
      exit(await drainNode(loadConfig(opts.config), io, nodeId, !opts.undo));
    });

  program.command('reload')
    .description('make the nodes re-read the config (a bad one is refused; the running one stays)')
    .addOption(configOption())
    .option('-n, --node <id>', 'only this node')
    .action(async (opts: { config: string; node?: string }) => {
      exit(await reloadNodes(loadConfig(opts.config), io, opts.node));
    });

  program.command('purge')
    .description('drop cached (CDN-rewritten) pages: one URL, or every URL under a prefix')
    .addArgument(new Argument('<url>', 'absolute URL, e.g. http://www.example.com/index.html').argParser(purgeUrl))
    .addOption(configOption())
    .option('--prefix', 'purge every cached URL that starts with <url>')
    .option('-n, --node <id>', 'only this node')
    .action(async (url: string, opts: { config: string; prefix?: boolean; node?: string }) => {
      exit(await purgeCache(loadConfig(opts.config), io, opts.prefix ? { prefix: url } : { url }, opts.node));
    });

  program.command('server')
    .description("set a back-end server's state on every node: ready, drain (no new clients; persistent ones stay) or maint (no requests)")
    .argument('<pool>', 'pool name')
    .argument('<server>', 'address:port, as `lbarray status --node ID` lists it ([v6]:port for IPv6)')
    .addArgument(new Argument('<state>', 'the new state').choices(ADMIN_STATES))
    .addOption(configOption())
    .option('-n, --node <id>', 'only this node')
    .action(async (pool: string, server: string, state: AdminState, opts: { config: string; node?: string }) => {
      exit(await setServerState(loadConfig(opts.config), io, pool, server, state, opts.node));
    });

  program.command('schema')
    .description('print the JSON Schema of the config file (for editors)')
    .action(() => {
      io.out(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
      exit(0);
    });

  program.command('version')
    .description('print the version')
    .action(() => {
      io.out(`lbarray ${version()} (node ${process.version})\n`);
      exit(0);
    });

  return program;
}

/** Prints what went wrong, in one sentence unless --debug; returns the exit code. */
function report(e: unknown, io: CliIo, debug: boolean): number {
  if (isLbError(e)) {
    io.err(`lbarray: ${e.message}\n`);
    if (debug && e.stack) io.err(`${e.stack}\n`);
    return 1;
  }
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EPERM' || err?.code === 'EACCES') {
    io.err(`lbarray: permission denied (${err.syscall ?? err.code}): run as root or with the capabilities of examples/lbarray.service.\n`);
  } else {
    io.err(`lbarray: unexpected error: ${err?.message ?? String(e)}${debug ? '' : ' (run with --debug for details)'}\n`);
  }
  if (debug && err?.stack) io.err(`${err.stack}\n`);
  return 1;
}

/** Runs the CLI on `argv` (without node and script); resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => { code = c; });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    return report(e, io, argv.includes('--debug'));
  }
}

function isEntryPoint(): boolean {
  if (!process.argv[1]) return false;
  try {
    return fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) process.exit(await runCli(process.argv.slice(2)));
