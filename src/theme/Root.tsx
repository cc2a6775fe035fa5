import React, { useEffect, type ReactNode } from 'react';
import BrowserOnly from '@docusaurus/BrowserOnly';
import { NewBuildBanner } from '../components/NewBuildBanner/index.tsx';
import { watchScrollCues } from '../components/ScrollCue/index.ts';

// Wraps every page once: the "newer version is ready" banner of the live-rebuilding site, and the
// scroll cues of the boxes that scroll sideways (tables, diagrams, code blocks) on every page.
export default function Root({ children }: { children: ReactNode }): ReactNode {
  useEffect(() => watchScrollCues(document), []);
  return (
    <>
      {children}
      <BrowserOnly>{() => <NewBuildBanner />}</BrowserOnly>
    </>
  );
}
