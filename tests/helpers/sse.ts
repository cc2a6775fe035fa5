export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** A minimal SSE reader over fetch, for tests: collects events as they arrive. */
export async function openSse(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const events: SseEvent[] = [];
  const done = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const ev: SseEvent = { event: 'message', data: '' };
          let hasField = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':') || line === '') continue;
            const i = line.indexOf(':');
            const field = i < 0 ? line : line.slice(0, i);
            const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
            if (field === 'id') ev.id = value;
            else if (field === 'event') ev.event = value;
            else if (field === 'data') ev.data += (ev.data ? '\n' : '') + value;
            else continue;
            hasField = true;
          }
          if (hasField && ev.data !== '') events.push(ev);
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    status: res.status,
    events,
    of: (type: string) => events.filter((e) => e.event === type),
    close: async () => {
      controller.abort();
      await done;
    },
  };
}
