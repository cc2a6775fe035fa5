// Widgets importable from MDX: `import { ApiStatus } from '@site/src/widgets';`
export { ApiStatus } from './ApiStatus';
