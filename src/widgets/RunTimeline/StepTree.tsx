import React, { type ReactNode } from 'react';
import Mermaid from '@theme/Mermaid';
import { stepTree, stepTreeMermaid, type StepLike } from '../../../data-api/src/contracts/step-tree.ts';

/**
 * The run's step tree (mermaid), each step in its state: the same text the run page's static
 * copy holds (contracts/step-tree.ts), so the live page and the built page draw one picture.
 */
export function StepTree({ actions, states }: { actions: StepLike[]; states: Record<string, string> }): ReactNode {
  const tree = stepTree(actions);
  return (
    <div
      data-testid="run-tree"
      data-mode={tree.mode}
      data-states={JSON.stringify(states)}
      style={{ margin: '0.75rem 0' }}
    >
      <Mermaid value={stepTreeMermaid(tree, states)} />
    </div>
  );
}
