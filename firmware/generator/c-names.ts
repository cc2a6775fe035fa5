// Catalog names → C identifiers. A wire name stays as it is on the wire; only its C name is
// mapped, and every mapping is reported (and printed by the scaffold).

/** C99 and C11 keywords, and the <stdbool.h> macros the generated code includes. */
const RESERVED = new Set(
  (
    'auto break case char const continue default do double else enum extern float for goto if inline int long register restrict ' +
    'return short signed sizeof static struct switch typedef union unsigned void volatile while _Alignas _Alignof _Atomic _Bool ' +
    '_Complex _Generic _Imaginary _Noreturn _Static_assert _Thread_local bool true false'
  ).split(' '),
);

export interface CNameMapping {
  kind: 'metric' | 'action' | 'param';
  name: string;
  c_name: string;
  reason: string;
}

/** A C identifier for `name`, and why it differs (null when it is the name itself). */
export function cIdentifier(name: string): { c_name: string; reason: string | null } {
  let c = name.replace(/[^A-Za-z0-9_]/g, '_');
  const reasons: string[] = [];
  if (c !== name) reasons.push('not a C identifier');
  if (/^[0-9]/.test(c)) {
    c = `_${c}`;
    if (!reasons.length) reasons.push('not a C identifier');
  }
  // Identifiers starting with __ or _X are the implementation's.
  if (/^_(_|[A-Z])/.test(c)) {
    c = `p${c}`;
    reasons.push('reserved in C');
  }
  if (RESERVED.has(c)) {
    c = `${c}_`;
    reasons.push('a C keyword');
  }
  return { c_name: c, reason: reasons.length ? reasons.join(', ') : null };
}

/** Maps a list of names, making the C names unique within it (`a.b` and `a-b` both want `a_b`). */
export function cNames(kind: CNameMapping['kind'], names: readonly string[], mappings: CNameMapping[]): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    let { c_name, reason } = cIdentifier(name);
    if (used.has(c_name.toLowerCase())) {
      let n = 2;
      while (used.has(`${c_name}_${n}`.toLowerCase())) n++;
      c_name = `${c_name}_${n}`;
      reason = `${reason ? `${reason}, ` : ''}another name maps to the same C name`;
    }
    used.add(c_name.toLowerCase());
    if (reason) mappings.push({ kind, name, c_name, reason });
    return c_name;
  });
}

/** A C string literal's contents: ASCII as is, the rest as octal escapes (never ambiguous with the next character). */
export function cString(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (byte >= 0x20 && byte < 0x7f && ch !== '?') out += ch;
    else out += `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return out;
}

/** A double literal: 8.0, 0.5, -110.0, 1e-07. */
export function cDouble(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`not a finite number: ${v}`);
  const s = String(v);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}
