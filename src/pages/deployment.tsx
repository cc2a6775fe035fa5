import React from 'react';
import { FleetPage } from '../components/FleetPage/index.tsx';

export default function DeploymentPage() {
  return <FleetPage kind="deployment" />;
}
