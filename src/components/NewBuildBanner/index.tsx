import React, { useState, type ReactNode } from 'react';
import useDocusaurusContext from '@docusaurus/useDocusaurusContext';
import { useLiveTopics } from '../../data/useLive.ts';

/**
 * "A newer version of the handbook is ready": fleetbook rebuilds the site in the background when
 * the repository changes and announces each new build on the change feed (`handbook.built`);
 * a page built earlier offers a reload instead of changing under the reader's eyes.
 */
export function NewBuildBanner(): ReactNode {
  const { siteConfig } = useDocusaurusContext();
  const pageBuild = String(siteConfig.customFields?.buildId ?? '');
  const [newer, setNewer] = useState<string | null>(null);
  useLiveTopics(['handbook'], {
    onChange: (e) => {
      const id = e.payload.build_id;
      if (e.type === 'handbook.built' && typeof id === 'string' && id !== pageBuild) setNewer(id);
    },
  });
  if (!newer) return null;
  return (
    <div
      role="status"
      data-testid="new-build-banner"
      data-build={newer}
      style={{
        position: 'fixed',
        bottom: '1rem',
        right: '1rem',
        zIndex: 1000,
        maxWidth: '22rem',
        padding: '0.75rem 1rem',
        borderRadius: 8,
        background: 'var(--ifm-color-primary-darkest)',
        color: '#fff',
        boxShadow: '0 4px 16px rgba(0,0,0,.25)',
      }}
    >
      A newer version of the handbook is ready.{' '}
      <button
        type="button"
        onClick={() => window.location.reload()}
        style={{
          marginLeft: '0.5rem',
          padding: '0.2rem 0.6rem',
          borderRadius: 4,
          border: 0,
          cursor: 'pointer',
          fontWeight: 600,
        }}
      >
        Reload
      </button>
    </div>
  );
}
