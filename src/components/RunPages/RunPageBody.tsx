// The run page's markdown (./markdown.ts) as React: the theme's code blocks and mermaid; no raw HTML.
import React, { type ReactNode } from 'react';
import CodeBlock from '@theme/CodeBlock';
import Mermaid from '@theme/Mermaid';
import type { Nodes, Parents } from 'mdast';
import { TABLE_FRAME_STYLE } from '../../../data-api/src/automation/table-frame.ts';
import { parseRunPage, siteHref, stateOfMark } from './markdown.ts';

function children(node: Parents, pageUrl: string): ReactNode[] {
  return node.children.map((child, i) => <MdNode key={i} node={child as Nodes} pageUrl={pageUrl} />);
}

function MdNode({ node, pageUrl }: { node: Nodes; pageUrl: string }): ReactNode {
  switch (node.type) {
    case 'root':
      return <>{children(node, pageUrl)}</>;
    case 'heading': {
      const H = `h${node.depth}` as 'h1';
      return <H>{children(node, pageUrl)}</H>;
    }
    case 'paragraph':
      return <p>{children(node, pageUrl)}</p>;
    case 'text':
      return node.value;
    case 'strong':
      return <strong>{children(node, pageUrl)}</strong>;
    case 'emphasis':
      return <em>{children(node, pageUrl)}</em>;
    case 'delete':
      return <del>{children(node, pageUrl)}</del>;
    case 'inlineCode':
      return <code>{node.value}</code>;
    case 'break':
      return <br />;
    case 'thematicBreak':
      return <hr />;
    case 'blockquote':
      return <blockquote>{children(node, pageUrl)}</blockquote>;
    case 'link':
      return <a href={siteHref(node.url, pageUrl)}>{children(node, pageUrl)}</a>;
    case 'list': {
      const L = node.ordered ? 'ol' : 'ul';
      return <L>{children(node, pageUrl)}</L>;
    }
    case 'listItem':
      // Tight list items hold paragraphs that render inline.
      return (
        <li>
          {node.children.map((c, i) =>
            c.type === 'paragraph' && node.spread === false ? (
              <React.Fragment key={i}>{children(c, pageUrl)}</React.Fragment>
            ) : (
              <MdNode key={i} node={c} pageUrl={pageUrl} />
            ),
          )}
        </li>
      );
    case 'table': {
      const [head, ...body] = node.children;
      const align = node.align ?? [];
      const cells = (row: typeof head, Cell: 'th' | 'td') =>
        row!.children.map((c, i) => (
          <Cell key={i} style={align[i] ? { textAlign: align[i]! } : undefined}>
            {children(c, pageUrl)}
          </Cell>
        ));
      const table = (
        <table>
          <thead>
            <tr>{cells(head, 'th')}</tr>
          </thead>
          <tbody>
            {body.map((row, i) => (
              <tr key={i}>{cells(row, 'td')}</tr>
            ))}
          </tbody>
        </table>
      );
      // The frame the page gave the table, as a site without fleetbook's theme draws it.
      const frame = node.data?.frame;
      return frame ? (
        <div className="fb-table-frame" role="region" aria-label={frame} tabIndex={0} style={TABLE_FRAME_STYLE}>
          {table}
        </div>
      ) : (
        table
      );
    }
    case 'code':
      if (node.lang === 'mermaid') return <Mermaid value={node.value} />;
      // The meta (`{0}`, an empty highlight range) keeps log lines such as `// highlight-next-line` as written.
      return (
        <CodeBlock language={node.lang ?? 'text'} metastring={node.meta ?? undefined}>
          {node.value}
        </CodeBlock>
      );
    case 'html': {
      const state = stateOfMark(node.value);
      return state ? <span className={`fb-state fb-state--${state}`} aria-hidden="true" /> : null;
    }
    default:
      return null;
  }
}

/** The run page's body as React elements. */
export function RunPageBody({ mdx, pageUrl }: { mdx: string; pageUrl: string }): ReactNode {
  return <MdNode node={parseRunPage(mdx)} pageUrl={pageUrl} />;
}
