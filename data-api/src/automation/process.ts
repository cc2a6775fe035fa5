import { spawn } from 'node:child_process';

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines of stderr, for the error message. */
  stderrTail: string[];
}

/**
 * Runs a program (no shell), streaming each output line to `onLine`. On abort: SIGTERM, then
 * SIGKILL after `killAfterMs`.
 */
export function runProcess(
  command: string,
  args: string[],
  opts: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    signal?: AbortSignal;
    onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
    killAfterMs?: number;
  },
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const pump = (stream: NodeJS.ReadableStream, name: 'stdout' | 'stderr') => {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).replace(/\r$/, '');
          buf = buf.slice(i + 1);
          emit(line, name);
        }
      });
      stream.on('end', () => {
        if (buf) emit(buf, name);
        buf = '';
      });
    };
    const emit = (line: string, name: 'stdout' | 'stderr') => {
      if (name === 'stderr') {
        tail.push(line);
        if (tail.length > 5) tail.shift();
      }
      opts.onLine?.(line, name);
    };
    pump(child.stdout!, 'stdout');
    pump(child.stderr!, 'stderr');
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 5_000);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => {
      opts.signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    child.on('close', (code, signal) => {
      if (killTimer) clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ code, signal, stderrTail: tail });
    });
    if (opts.signal?.aborted) onAbort();
  });
}

/** Quote one word for a POSIX shell (ssh runs the remote command through the login shell). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_\/.:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
