import React, { type ReactNode } from 'react';
import BrowserOnly from '@docusaurus/BrowserOnly';
import { NewBuildBanner } from '../components/NewBuildBanner/index.tsx';

// Wraps every page once: the "newer version is ready" banner of the live-rebuilding site.
export default function Root({ children }: { children: ReactNode }): ReactNode {
  return (
    <>
      {children}
      <BrowserOnly>{() => <NewBuildBanner />}</BrowserOnly>
    </>
  );
}
