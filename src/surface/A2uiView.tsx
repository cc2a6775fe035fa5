// Client-only (lazy chunk): one official A2UI MessageProcessor per mounted surface
// (createSurface twice throws), rendered by @a2ui/react's A2uiSurface.
import React, { useEffect, useMemo, useState, type ReactNode } from 'react';
import { MessageProcessor } from '@a2ui/web_core/v0_9';
import { A2uiSurface, MarkdownContext, type ReactComponentImplementation } from '@a2ui/react/v0_9';
import type { A2uiActionMessage, A2uiMessage } from '../../data-api/src/contracts/surfaces.ts';
import { fleetbookCatalog, renderMarkdown, SurfaceRoleContext } from './catalog.tsx';

export interface A2uiViewProps {
  surfaceId: string;
  messages: A2uiMessage[];
  /** Live messages (updateDataModel) after the first paint. */
  subscribe(listener: (messages: A2uiMessage[]) => void): () => void;
  /** A user action: the API answers with messages to apply. */
  onAction(action: A2uiActionMessage['action']): Promise<A2uiMessage[]>;
  onError(message: string): void;
  canOperate: boolean;
}

export default function A2uiView({
  surfaceId,
  messages,
  subscribe,
  onAction,
  onError,
  canOperate,
}: A2uiViewProps): ReactNode {
  const [failure, setFailure] = useState<string | null>(null);
  const processor = useMemo(() => {
    const p: MessageProcessor<ReactComponentImplementation> = new MessageProcessor<ReactComponentImplementation>(
      [fleetbookCatalog],
      async (action) => {
        try {
          const answer = await onAction(action as A2uiActionMessage['action']);
          if (answer.length) p.processMessages(answer as never);
        } catch (err) {
          onError((err as Error).message);
        }
      },
    );
    try {
      p.processMessages(messages as never);
    } catch (err) {
      setTimeout(() => setFailure((err as Error).message));
    }
    return p;
    // One processor per response: the parent remounts us when the surface is republished.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(
    () =>
      subscribe((live) => {
        try {
          processor.processMessages(live as never);
        } catch (err) {
          onError((err as Error).message);
        }
      }),
    [processor, subscribe, onError],
  );

  const surface = processor.model.getSurface(surfaceId);
  if (failure) return <p role="alert">The surface could not be drawn: {failure}</p>;
  if (!surface) return <p>Surface {surfaceId} was not created by the API's messages.</p>;
  return (
    <SurfaceRoleContext.Provider value={{ canOperate }}>
      <MarkdownContext.Provider value={renderMarkdown as never}>
        <A2uiSurface surface={surface} />
      </MarkdownContext.Provider>
    </SurfaceRoleContext.Provider>
  );
}
