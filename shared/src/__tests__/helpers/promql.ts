/**
 * Test support: the metric names (and the label names of their matchers) a PromQL expression
 * refers to. Not a full parser: enough for the expressions of our dashboards and alert rules.
 */

const KEYWORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan',
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio',
]);

export interface MetricRef {
  name: string;
  /** Label names used in this selector's matchers. */
  labels: string[];
}

/** Metric names referred to by `expr`, with the label names of their matchers. */
export function metricRefs(expr: string): MetricRef[] {
  const refs: MetricRef[] = [];
  // Label matchers first (their quoted values may hold anything, Grafana variables included).
  let rest = expr.replace(/([a-zA-Z_:][\w:]*)?\s*\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\}/g, (_m, name: string | undefined, body: string) => {
    const labels = [...body.replace(/"(?:[^"\\]|\\.)*"/g, '""').matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((x) => x[1]!);
    if (name !== undefined && !KEYWORDS.has(name)) refs.push({ name, labels: labels.filter((l) => l !== '__name__') });
    return ' __selector__ ';
  });
  rest = rest
    .replace(/"(?:[^"\\]|\\.)*"/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  const token = /(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[a-zA-Z]*)|([a-zA-Z_:][\w:]*)(\s*\()?/g;
  for (const m of rest.matchAll(token)) {
    const [, num, ident, call] = m;
    if (num !== undefined || ident === undefined || call !== undefined) continue;
    if (ident === '__selector__' || KEYWORDS.has(ident.toLowerCase())) continue;
    refs.push({ name: ident, labels: [] });
  }
  return refs;
}

/** An exposition's families: name → label names seen on its samples (empty when it has none yet). */
export function familiesOf(text: string): Map<string, Set<string>> {
  const types = new Map<string, string>();
  const labels = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)/.exec(line);
    if (t) {
      types.set(t[1]!, t[2]!);
      if (!labels.has(t[1]!)) labels.set(t[1]!, new Set());
      continue;
    }
    const s = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+\S+/.exec(line);
    if (!s) continue;
    let name = s[1]!;
    const suffix = /^(.*)_(bucket|count|sum)$/.exec(name);
    if (suffix && ['histogram', 'summary'].includes(types.get(suffix[1]!) ?? '')) name = suffix[1]!;
    const set = labels.get(name) ?? new Set<string>();
    for (const l of (s[2] ?? '').matchAll(/([a-zA-Z_]\w*)="/g)) if (l[1] !== 'le' && l[1] !== 'quantile') set.add(l[1]!);
    labels.set(name, set);
  }
  // Histogram/summary families answer to their series names too.
  for (const [name, type] of types) {
    if (type !== 'histogram' && type !== 'summary') continue;
    const own = labels.get(name)!;
    for (const sfx of ['_count', '_sum']) labels.set(name + sfx, own);
    if (type === 'histogram') labels.set(`${name}_bucket`, new Set([...own, 'le']));
  }
  return labels;
}
