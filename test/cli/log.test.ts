// Logs: JSON lines with level names and ISO times for machines; pretty text on a terminal;
// component loggers and the level switch.
import { Writable } from 'node:stream';
import t from 'tap';
import { nodeLogOptions } from '../../engine/cli/commands/run.js';
import { parseConfig } from '../../engine/config/index.js';
import { configureLogging, createLogger, logger, parseLogLevel, setLogLevel } from '../../engine/log.js';

function capture(isTTY = false) {
  const lines: string[] = [];
  const stream = Object.assign(new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }), { isTTY });
  return { lines, stream };
}
const settle = () => new Promise((r) => setImmediate(r));

t.test('JSON lines carry level name, ISO time, pid, base fields and the message', async (t) => {
  const c = capture();
  const log = createLogger({ destination: c.stream, format: 'auto', base: { node: 'lb1' } });
  log.info({ pool: 'app' }, 'server up');
  log.debug('not shown at info');
  t.equal(c.lines.length, 1);
  const line = JSON.parse(c.lines[0]);
  t.match(line, { level: 'info', pid: process.pid, node: 'lb1', pool: 'app', msg: 'server up' });
  t.match(line.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

t.test('a node logs the array\'s name and its id on every line (lbarray run)', async (t) => {
  const config = parseConfig(JSON.stringify({
    name: 'shop', vip: { ipv4: '198.19.0.1' }, services: [{ name: 'web', port: 80 }],
    nodes: [{ id: 'lb2', interface: 'eth0', ipv4: '198.18.0.12' }], pools: { app: { servers: [{ address: '198.18.0.101', port: 8080 }] } },
    routes: [{ pool: 'app' }], logging: { format: 'json' },
  }));
  const c = capture(true);
  const root = createLogger({ ...nodeLogOptions(config, config.nodes[0]!, 'info'), destination: c.stream });
  root.child({ component: 'cluster' }).info('VRRP backup → master');
  t.match(JSON.parse(c.lines[0]!), { array: 'shop', node: 'lb2', component: 'cluster', msg: 'VRRP backup → master' }, 'JSON (logging.format) even on a terminal');
});

t.test('pretty on a terminal (auto) or when asked', async (t) => {
  for (const [name, c, format] of [['auto on a TTY', capture(true), 'auto'], ['pretty asked', capture(false), 'pretty']] as const) {
    createLogger({ destination: c.stream, format }).warn({ pool: 'app' }, 'server down');
    await settle();
    const text = c.lines.join('');
    t.throws(() => JSON.parse(text), name);
    t.match(text.replace(/\x1b\[[0-9;]*m/g, ''), /WARN.*server down\n\s+pool: "app"/, name);
  }
  const json = capture(true);
  createLogger({ destination: json.stream, format: 'json' }).info('x');
  t.doesNotThrow(() => JSON.parse(json.lines[0]), 'json asked on a TTY stays JSON');
});

t.test('component loggers and the level switch', async (t) => {
  const c = capture();
  configureLogging({ destination: c.stream, level: 'info' });
  const a = logger('scheduler');
  t.equal(logger('scheduler'), a, 'one logger per component');
  a.debug('hidden');
  setLogLevel('debug');
  a.debug('shown');
  logger('l7').debug('shown too');
  t.same(c.lines.map((l) => [JSON.parse(l).component, JSON.parse(l).msg]), [['scheduler', 'shown'], ['l7', 'shown too']]);
  configureLogging({ level: 'silent' });
});

t.test('log levels by name', async (t) => {
  t.equal(parseLogLevel('DEBUG'), 'debug');
  t.throws(() => parseLogLevel('loud'), { code: 'ERR_BAD_LOG_LEVEL' });
});
