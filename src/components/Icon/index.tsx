// Icons as inline SVG: Debian's Chromium (and many field laptops) has no emoji font, where ✅ ❌ ⏳
// are empty boxes. Each icon is decorative (aria-hidden): the word beside it carries the meaning.
import React from 'react';

const PATHS = {
  check: 'M4 8.5 6.8 11.3 12.2 5',
  clock: 'M8 2.5a5.5 5.5 0 1 0 0 11 5.5 5.5 0 0 0 0-11zM8 5v3.2l2.2 1.4',
  flag: 'M4 14V2.5M4 3h7l-1.5 2.5L11 8H4',
  download: 'M8 2.5v7.5M4.8 7 8 10.2 11.2 7M3 13h10',
  search: 'M7 2.5a4.5 4.5 0 1 0 0 9 4.5 4.5 0 0 0 0-9zM10.3 10.3 13.5 13.5',
  device: 'M4.5 2.5h7v11h-7zM7 11.5h2',
} as const;

export type IconName = keyof typeof PATHS;

const COLORS: Partial<Record<IconName, string>> = {
  check: 'var(--ifm-color-success-darker)',
};

export function Icon({ name, size = 16, className }: { name: IconName; size?: number; className?: string }) {
  return (
    <svg
      className={className}
      width={size}
      height={size}
      viewBox="0 0 16 16"
      fill="none"
      stroke={COLORS[name] ?? 'currentColor'}
      strokeWidth={1.8}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
      style={{ verticalAlign: '-0.15em', flex: 'none' }}
      data-icon={name}
    >
      <path d={PATHS[name]} />
    </svg>
  );
}
