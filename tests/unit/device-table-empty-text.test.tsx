// DeviceTable's empty text: "No device matches these filters" only for filters the reader set;
// filters that are props ("Devices down" on a site's page) say what the table holds.
import { describe, expect, it, vi } from 'vitest';

vi.mock('@docusaurus/Link', () => import('../helpers/docusaurus-stubs.ts').then((m) => m.link));
vi.mock('@docusaurus/BrowserOnly', () => import('../helpers/docusaurus-stubs.ts').then((m) => m.browserOnly));
vi.mock('@docusaurus/useIsBrowser', () => ({ default: () => true }));
vi.mock('@docusaurus/useDocusaurusContext', () =>
  import('../helpers/docusaurus-stubs.ts').then((m) => m.docusaurusContext),
);

describe('DeviceTable empty text', () => {
  it('says what the table holds when its filters are props, and "matches these filters" only for the reader’s own', async () => {
    const { deviceTableEmptyText } = await import('../../src/widgets/DeviceTable/index.tsx');
    const down = { site: 'site_farm-north', status: 'down' } as const;
    const none = { q: '', status: 'down' };
    expect(deviceTableEmptyText({ ...down, emptyText: 'No device of this site is down.' }, none)).toBe(
      'No device of this site is down.',
    );
    expect(deviceTableEmptyText(down, none)).toBe('No device here is down.');
    expect(deviceTableEmptyText(down, { q: 'pump', status: 'down' })).toBe('No device matches these filters.');
    expect(deviceTableEmptyText({}, { q: '', status: '' })).toBe('No devices here yet.');
    expect(deviceTableEmptyText({}, { q: '', status: 'up' })).toBe('No device matches these filters.');
  });
});
