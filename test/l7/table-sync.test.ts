// The pure parts of persistence sync: the datagram (round trip, split at the size limit, bad
// datagrams refused with a reason), the pool fingerprint (what makes cells mean the same server),
// and the diff of a shared table against its shadow (what was learnt since, never what a peer sent).
import t from 'tap';
import { diffCells, filledCells, TableShadow } from '../../engine/l7/persistence/table-shadow.js';
import { CELLS_PER_DATAGRAM, decodeTableSync, encodeCells, encodeDumpRequest, poolFingerprint, TableSyncType } from '../../engine/l7/persistence/table-sync-wire.js';

t.test('cells round-trip, split into datagrams under 1400 bytes', async (t) => {
  const cells = Array.from({ length: CELLS_PER_DATAGRAM + 5 }, (_, i) => [i * 3, (i % 4) + 1]).flat();
  cells.push(0xfffffff, 0); // a high group, and a cleared cell
  const datagrams = encodeCells(0xdeadbeef, cells);
  t.equal(datagrams.length, 2, `${CELLS_PER_DATAGRAM + 6} cells: two datagrams`);
  t.ok(datagrams.every((d) => d.length <= 1400), 'each under 1400 bytes');
  const back: number[] = [];
  for (const d of datagrams) {
    const m = decodeTableSync(d);
    if (typeof m === 'string' || m.type !== TableSyncType.CELLS) throw new Error(`not cells: ${String(m)}`);
    t.equal(m.fingerprint, 0xdeadbeef, 'the pool fingerprint travels');
    m.groups.forEach((g, i) => back.push(g, m.values[i]!));
  }
  t.same(back, cells, 'every (group, value) pair, in order');
  t.same(encodeCells(1, []), [], 'no cells: no datagram');
  t.same(decodeTableSync(encodeDumpRequest()), { type: TableSyncType.DUMP_REQUEST }, 'a dump request');
});

t.test('bad datagrams are refused with a reason', async (t) => {
  const good = encodeCells(7, [1, 1, 2, 2])[0]!;
  const with_ = (at: number, byte: number, b = good) => { const c = Buffer.from(b); c[at] = byte; return c; };
  const cases: Array<[string, Uint8Array, string]> = [
    ['shorter than a header', good.subarray(0, 11), 'short'],
    ['another magic ("LBF1", a flow sync datagram)', with_(2, 0x46), 'magic'],
    ['an unknown type', with_(4, 9), 'type'],
    ['a count that is not the length', with_(6, 3), 'length'],
    ['a truncated cell', good.subarray(0, good.length - 1), 'length'],
    ['a dump request with cells', with_(4, TableSyncType.DUMP_REQUEST), 'length'],
  ];
  for (const [what, bytes, reason] of cases) t.equal(decodeTableSync(bytes), reason, `${what}: ${reason}`);
});

t.test('the fingerprint changes with the pool name, its servers, their order and the table size', async (t) => {
  const base = poolFingerprint('app', ['a:80', 'b:80'], 4096);
  t.equal(poolFingerprint('app', ['a:80', 'b:80'], 4096), base, 'the same pool: the same fingerprint (every node computes it alike)');
  for (const [what, fp] of [
    ['another name', poolFingerprint('api', ['a:80', 'b:80'], 4096)],
    ['a server more', poolFingerprint('app', ['a:80', 'b:80', 'c:80'], 4096)],
    ['the servers reordered (indexes name others)', poolFingerprint('app', ['b:80', 'a:80'], 4096)],
    ['another size (keys hash to other groups)', poolFingerprint('app', ['a:80', 'b:80'], 8192)],
  ] as const) t.not(fp, base, what);
});

t.test('the diff gives the cells learnt since, once; a peer\'s cells are never sent back', async (t) => {
  const cells = new Int32Array(new SharedArrayBuffer(16 * 4));
  const shadow = new Int32Array(16);
  t.same(diffCells(cells, shadow), [], 'an empty table: nothing');
  cells[3] = 2; cells[9] = 1;
  t.same(diffCells(cells, shadow), [3, 2, 9, 1], 'two cells learnt');
  t.same(diffCells(cells, shadow), [], 'and only once');
  cells[3] = 0; cells[15] = 3;
  t.same(diffCells(cells, shadow), [3, 0, 15, 3], 'a cleared cell is a change too');
  t.throws(() => diffCells(cells, new Int32Array(8)), { code: 'ERR_L7_HASH_GROUPS' }, 'a shadow of another size is refused');
  t.same(filledCells(cells), [9, 1, 15, 3], 'the filled cells (a dump)');

  const table = new TableShadow(cells, 42, 3);
  t.same(table.changes(), [9, 1, 15, 3], 'a new shadow: what the table holds is news to the peers');
  t.ok(table.store(Uint32Array.of(4, 9), Int32Array.of(3, 2)), 'a peer\'s cells are stored');
  t.same([cells[4], cells[9]], [3, 2], 'into the shared table (the last writer wins)');
  t.same(table.changes(), [], 'and are not sent back');
  for (const [what, group, value] of [['a group past the table', 16, 1], ['a server past the pool', 5, 4], ['a negative value', 5, -1]] as const) {
    t.notOk(table.store(Uint32Array.of(6, group), Int32Array.of(1, value)), `${what}: refused`);
    t.equal(cells[6], 0, 'and nothing of that datagram is stored');
  }
});
