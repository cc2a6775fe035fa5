import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (where package.json, docs/ and docusaurus.config.ts live). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
