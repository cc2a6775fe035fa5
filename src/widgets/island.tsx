import React, { Suspense, lazy, type ComponentType, type ReactNode } from 'react';
import BrowserOnly from '@docusaurus/BrowserOnly';
import clsx from 'clsx';
import styles from './shared/styles.module.css';

/**
 * What the static HTML holds for a widget: its name (widgets.md: "renders on the server as a
 * placeholder with the widget's name"), never live data.
 */
export function Placeholder({
  name,
  label,
  testId,
  title,
  className,
}: {
  name: string;
  label?: string;
  testId: string;
  title?: ReactNode;
  className?: string;
}): ReactNode {
  return (
    <section className={clsx(styles.frame, className)} data-testid={testId} data-state="placeholder" data-widget={name}>
      {title && (
        <header className={styles.header}>
          <h3 className={styles.title}>{title}</h3>
        </header>
      )}
      <p className={styles.note}>{`${label ?? name}: live data loads in the browser…`}</p>
    </section>
  );
}

/**
 * A widget as an island: the page's own chunk holds only this wrapper and the placeholder;
 * the widget (and recharts, A2UI, zod…) is an async chunk loaded in the browser. So a
 * thousand MDX pages using widgets compile and render almost like pages without them, and
 * nothing a widget does can break the static build.
 */
export function island<P extends object>(
  name: string,
  testId: string | ((props: P) => string),
  load: () => Promise<{ default: ComponentType<P> }>,
  label?: (props: P) => string,
): ComponentType<P> {
  const Widget = lazy(load);
  function Island(props: P): ReactNode {
    const id = typeof testId === 'function' ? testId(props) : testId;
    const title = (props as { title?: ReactNode }).title;
    const placeholder = <Placeholder name={name} label={label?.(props)} testId={id} title={title} />;
    return (
      <BrowserOnly fallback={placeholder}>
        {() => (
          <Suspense fallback={placeholder}>
            <Widget {...props} />
          </Suspense>
        )}
      </BrowserOnly>
    );
  }
  Island.displayName = `${name}Island`;
  return Island;
}
