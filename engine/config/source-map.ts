// Maps a path in the parsed data back to a line of the YAML (or JSON) text, so that errors point
// at the line to fix. A missing field points at the nearest enclosing line that exists.
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

function startLine(lc: LineCounter, node: { range?: [number, number, number] | null } | null | undefined) {
  return node?.range ? lc.linePos(node.range[0]).line : undefined;
}

export function lineOf(doc: Document, lc: LineCounter, path: readonly PropertyKey[]): number | undefined {
  let node = doc.contents as Node | null;
  let line = startLine(lc, node) ?? 1;
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc) as Node | null ?? null;
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
      if (!pair) break;
      line = startLine(lc, pair.key as Node) ?? line;
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      line = startLine(lc, item) ?? line;
      node = item;
    } else {
      break;
    }
  }
  return line;
}
