// The runner's real components, loaded in the browser as one chunk (see index.tsx).
export { RunbookRunner } from './RunbookRunner.tsx';
export { ExecutionList } from './ExecutionList.tsx';
export { TutorialTrack, MyOnboarding, TutorialStepProgress } from './tutorial.tsx';
