// A small logic-less template language for firmware/templates (a subset of Mustache):
//   {{name}} {{a.b}}            the value (no escaping: C and Markdown escape differently)
//   {{#list}}…{{/list}}         once per element of an array, with the element in scope;
//                               once for a truthy value; never for a falsy one or an empty array
//   {{^list}}…{{/list}}         once when the value is falsy or an empty array
// A section tag alone on its line takes its line with it, so templates stay readable.

type Scope = readonly unknown[];

export class TemplateError extends Error {}

function lookup(scopes: Scope, name: string): unknown {
  if (name === '.') return scopes[scopes.length - 1];
  const [head, ...rest] = name.split('.');
  for (let i = scopes.length - 1; i >= 0; i--) {
    const s = scopes[i];
    if (s !== null && typeof s === 'object' && Object.hasOwn(s, head!)) {
      return rest.reduce<unknown>(
        (v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
        (s as Record<string, unknown>)[head!],
      );
    }
  }
  return undefined;
}

const TAG = /\{\{([#^/]?)\s*([\w.]+)\s*\}\}/g;

interface Section {
  kind: '#' | '^';
  name: string;
  body: string;
}

/** Splits text at its top-level sections. */
function parse(template: string, file: string): Array<string | Section | { value: string }> {
  const out: Array<string | Section | { value: string }> = [];
  let pos = 0;
  TAG.lastIndex = 0;
  for (let m = TAG.exec(template); m; m = TAG.exec(template)) {
    const [whole, sigil, name] = m as unknown as [string, string, string];
    if (sigil === '/') throw new TemplateError(`${file}: {{/${name}}} without its opening tag`);
    out.push(template.slice(pos, m.index));
    if (!sigil) {
      out.push({ value: name });
      pos = m.index + whole.length;
      continue;
    }
    // Find the matching close, counting nested sections of the same name.
    let depth = 1;
    const inner = new RegExp(`\\{\\{([#^/])\\s*${name.replace('.', '\\.')}\\s*\\}\\}`, 'g');
    inner.lastIndex = m.index + whole.length;
    let close: RegExpExecArray | null = null;
    for (let c = inner.exec(template); c; c = inner.exec(template)) {
      depth += c[1] === '/' ? -1 : 1;
      if (depth === 0) {
        close = c;
        break;
      }
    }
    if (!close) throw new TemplateError(`${file}: {{${sigil}${name}}} is never closed`);
    out.push({ kind: sigil as '#' | '^', name, body: template.slice(m.index + whole.length, close.index) });
    pos = close.index + close[0].length;
    TAG.lastIndex = pos;
  }
  out.push(template.slice(pos));
  return out;
}

function renderIn(template: string, scopes: Scope, file: string): string {
  let out = '';
  for (const part of parse(template, file)) {
    if (typeof part === 'string') out += part;
    else if ('value' in part) {
      const v = lookup(scopes, part.value);
      if (v === undefined || v === null) throw new TemplateError(`${file}: {{${part.value}}} has no value`);
      out += String(v);
    } else {
      const v = lookup(scopes, part.name);
      const empty = !v || (Array.isArray(v) && v.length === 0);
      if (part.kind === '^') {
        if (empty) out += renderIn(part.body, scopes, file);
      } else if (Array.isArray(v)) {
        for (const item of v) out += renderIn(part.body, [...scopes, item], file);
      } else if (!empty) {
        out += renderIn(part.body, typeof v === 'object' ? [...scopes, v] : scopes, file);
      }
    }
  }
  return out;
}

/** Renders `template` with `view`; an unknown name is an error, never an empty string. */
export function render(template: string, view: object, file = 'template'): string {
  // Standalone section tags take their whole line.
  const text = template.replace(/^[ \t]*(\{\{[#^/]\s*[\w.]+\s*\}\})[ \t]*\r?\n/gm, '$1');
  return renderIn(text, [view], file);
}
