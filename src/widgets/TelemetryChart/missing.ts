// Pure: what a TelemetryChart says when the API answers its read with 404. The telemetry route
// answers `{ error: 'not_found', message: 'device <id> not found' }` for a device the registry
// does not have and, the same, for one the caller's token may not see (another customer's); an
// API without the route answers `no route GET …`. The chart says what the API said, not "no data".
import { answeredMessage } from '../../data/answered.ts';

export function missingText(device: string, err: Error | null): string {
  const said = answeredMessage(err);
  return said
    ? `No chart for ${device}: the data API answered “${said}”. It answers so for a device it does not have and for one this page's token may not see.`
    : `No chart for ${device}: the data API answered 404 with no reason.`;
}
