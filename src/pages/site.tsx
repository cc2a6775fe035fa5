import React from 'react';
import { FleetPage } from '../components/FleetPage/index.tsx';

export default function SitePage() {
  return <FleetPage kind="site" />;
}
