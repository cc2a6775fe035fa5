import React, { type ReactNode } from 'react';
import Link from '@docusaurus/Link';
import Layout from '@theme/Layout';
import { ApiStatus } from '../widgets/index.ts';
import styles from './index.module.css';

const AUDIENCES = [
  {
    title: 'At a site',
    body: 'Open a runbook on your phone, start an execution for the deployment, tick items, attach photos and measured values, pass the gates.',
    to: '/runbooks',
    cta: 'Runbooks',
  },
  {
    title: 'New to the team',
    body: 'Start with how fleetbook is built and run it on your laptop with a demo fleet in two commands.',
    to: '/docs/getting-started',
    cta: 'Getting started',
  },
  {
    title: 'Leading the fleet',
    body: 'Dashboards written in MDX: fleet health, deployments by state, open alerts, automation runs, uptime per customer.',
    to: '/docs/dashboards',
    cta: 'Dashboards',
  },
  {
    title: 'Building products',
    body: 'Product pages declare versions, firmware baselines and bills of materials; the registry loads them at start.',
    to: '/docs/products',
    cta: 'Products',
  },
];

export default function Home(): ReactNode {
  return (
    <Layout title="Operations handbook" description="fleetbook: the operations handbook that knows the fleet">
      <header className={styles.hero}>
        <div className="container">
          <h1 className={styles.title}>fleetbook</h1>
          <p className={styles.subtitle}>
            The team's handbook for products, projects, runbooks and dashboards — with the live fleet in its pages.
          </p>
          <div className={styles.status}>
            <ApiStatus />
          </div>
        </div>
      </header>
      <main className="container margin-vert--lg">
        <div className={styles.grid}>
          {AUDIENCES.map((a) => (
            <section key={a.title} className={styles.card}>
              <h2>{a.title}</h2>
              <p>{a.body}</p>
              <Link className="button button--primary button--sm" to={a.to}>
                {a.cta}
              </Link>
            </section>
          ))}
        </div>
      </main>
    </Layout>
  );
}
