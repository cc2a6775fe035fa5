// global_conf.json as Semtech and gateway vendors write it: JSON with C-style comments
// (`/* … */` and `// …`). A small parser that also remembers the line of every key, so that
// `fleetbook gateway check` can say where a problem is.

export interface ParsedJsonc {
  value: unknown;
  /** `a.b[2].c` → 1-based line of that key (or array element). */
  lines: Map<string, number>;
}

export class JsoncError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`line ${line}, column ${column}: ${message}`);
    this.name = 'JsoncError';
  }
}

export function parseJsonc(text: string): ParsedJsonc {
  const lines = new Map<string, number>();
  let i = 0;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lineAt = (pos: number) => {
    let line = 1;
    for (let k = 0; k < pos && k < src.length; k++) if (src[k] === '\n') line++;
    return line;
  };
  const fail = (message: string, pos = i): never => {
    const line = lineAt(pos);
    const column = pos - src.lastIndexOf('\n', pos - 1);
    throw new JsoncError(message, line, column);
  };
  const skip = () => {
    for (;;) {
      const c = src[i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
      else if (c === '/' && src[i + 1] === '*') {
        const end = src.indexOf('*/', i + 2);
        if (end < 0) fail('unterminated /* comment');
        i = end + 2;
      } else if (c === '/' && src[i + 1] === '/') {
        const end = src.indexOf('\n', i);
        i = end < 0 ? src.length : end;
      } else return;
    }
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    while (i < src.length && src[i] !== '"') {
      if (src[i] === '\\') i++;
      if (src[i] === '\n') fail('unterminated string', start);
      i++;
    }
    if (i >= src.length) fail('unterminated string', start);
    i++;
    try {
      return JSON.parse(src.slice(start, i)) as string;
    } catch {
      return fail('invalid escape in string', start);
    }
  };
  const value = (path: string): unknown => {
    skip();
    const c = src[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      skip();
      if (src[i] === '}') return (i++, obj);
      for (;;) {
        skip();
        if (src[i] !== '"') fail(`expected a "key" in ${path || 'the top-level object'}, found ${show(src[i])}`);
        const keyPos = i;
        const key = str();
        skip();
        if (src[i] !== ':') fail(`expected ":" after "${key}"`);
        i++;
        const child = path ? `${path}.${key}` : key;
        lines.set(child, lineAt(keyPos));
        obj[key] = value(child);
        skip();
        if (src[i] === ',') {
          i++;
          continue;
        }
        if (src[i] === '}') return (i++, obj);
        fail(`expected "," or "}" after "${key}", found ${show(src[i])}`);
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      skip();
      if (src[i] === ']') return (i++, arr);
      for (;;) {
        skip();
        const child = `${path}[${arr.length}]`;
        lines.set(child, lineAt(i));
        arr.push(value(child));
        skip();
        if (src[i] === ',') {
          i++;
          continue;
        }
        if (src[i] === ']') return (i++, arr);
        fail(`expected "," or "]" in ${path}, found ${show(src[i])}`);
      }
    }
    if (c === '"') return str();
    const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(src.slice(i, i + 64));
    if (!m) return fail(`unexpected ${show(c)}${path ? ` in ${path}` : ''}`);
    i += m[0].length;
    return JSON.parse(m[0]);
  };
  const result = value('');
  skip();
  if (i < src.length) fail(`unexpected ${show(src[i])} after the end of the document`);
  return { value: result, lines };
}

const show = (c: string | undefined) => (c === undefined ? 'the end of the file' : JSON.stringify(c));
