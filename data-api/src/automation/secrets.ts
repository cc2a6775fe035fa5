import fs from 'node:fs';
import type { SecretRef } from '../contracts/execution-spec.ts';

export class SecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretError';
  }
}

/**
 * Resolves `{ secret: "env:NAME" | "file:/path" }` when an action needs the value, and
 * remembers every value it handed out so logs and messages can be scrubbed of them.
 */
export class SecretResolver {
  private readonly values = new Map<string, string>();

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  resolve(ref: SecretRef): string {
    const { secret } = ref;
    let value: string | undefined;
    if (secret.startsWith('env:')) {
      const name = secret.slice(4);
      value = this.env[name];
      if (value === undefined || value === '')
        throw new SecretError(`secret ${secret} is not set: export ${name}=… in the runner's environment`);
    } else {
      const file = secret.slice(5);
      try {
        value = fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        throw new SecretError(
          `secret ${secret} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
      if (value === '') throw new SecretError(`secret ${secret} is an empty file`);
    }
    this.values.set(secret, value);
    return value;
  }

  /** Without reading the value: is the reference satisfiable? (for --dry-run) */
  check(ref: SecretRef): string | undefined {
    const { secret } = ref;
    if (secret.startsWith('env:')) {
      const name = secret.slice(4);
      return this.env[name] ? undefined : `${name} is not set`;
    }
    try {
      fs.accessSync(secret.slice(5), fs.constants.R_OK);
      return undefined;
    } catch {
      return `${secret.slice(5)} is not readable`;
    }
  }

  /** Replaces every resolved value (and its URL-encoded form) by `[redacted env:NAME]`. */
  scrub(text: string): string {
    let out = text;
    for (const [ref, value] of this.values) {
      if (value.length < 4) continue;
      for (const form of new Set([value, encodeURIComponent(value)])) out = out.split(form).join(`[redacted ${ref}]`);
    }
    return out;
  }
}

/** Every secret reference in a value, with its path (for --dry-run checks). */
export function secretRefsIn(
  value: unknown,
  path: Array<string | number> = [],
): Array<{ path: Array<string | number>; ref: SecretRef }> {
  const out: Array<{ path: Array<string | number>; ref: SecretRef }> = [];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...secretRefsIn(v, [...path, i])));
  else if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'secret' && typeof (value as SecretRef).secret === 'string')
      out.push({ path, ref: value as SecretRef });
    else for (const [k, v] of Object.entries(value)) out.push(...secretRefsIn(v, [...path, k]));
  }
  return out;
}
