// The runner's real components, loaded in the browser as one chunk (see index.tsx).
export { RunbookRunner } from './RunbookRunner';
export { ExecutionList } from './ExecutionList';
export { TutorialTrack, MyOnboarding, TutorialStepProgress } from './tutorial';
