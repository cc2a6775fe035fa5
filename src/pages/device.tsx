import React from 'react';
import { FleetPage } from '../components/FleetPage/index.tsx';

export default function DevicePage() {
  return <FleetPage kind="device" />;
}
