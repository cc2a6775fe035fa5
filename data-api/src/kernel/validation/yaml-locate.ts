// Where a validation issue's path points in a YAML file (execution specs, schedules, notification
// rules, policies and contact points): one walk, so every file's errors give the same line:column.
import { isMap, isScalar, isSeq, type Document, type Node as YamlNode } from 'yaml';

/**
 * Offset of the key (or sequence item) a path names; for a path that does not exist (a missing
 * field) the deepest existing ancestor's key.
 */
export function locate(doc: Document, path: ReadonlyArray<PropertyKey>): number {
  let node: unknown = doc.contents;
  let best = (doc.contents as YamlNode | null)?.range?.[0] ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) =>
          (isScalar(p.key) ? p.key.value : p.key) === seg || (isScalar(p.key) && String(p.key.value) === String(seg)),
      );
      if (!pair) break;
      const key = pair.key as YamlNode | null;
      if (key?.range) best = key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as YamlNode | undefined;
      if (!item) break;
      if (item.range) best = item.range[0];
      node = item;
    } else break;
  }
  return best;
}
