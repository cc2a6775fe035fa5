#!/usr/bin/env node
// The CLI is TypeScript run through tsx: no separate compile step to forget.
import { register } from 'tsx/esm/api';

register();
await import('../data-api/src/cli/main.ts');
