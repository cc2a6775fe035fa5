import { probeTargetMessage, probeTargetProblem } from '../../../data-api/src/contracts/probe-target.ts';
import type { FileRule } from '../types.ts';
import { isObj, itemsOf, pathText } from './util.ts';

export const badProbeTarget: FileRule = {
  id: 'runbook/bad-probe-target',
  severity: 'error',
  scope: 'file',
  description:
    "An item's `auto_check` target has the probe's shape: `host:port` (tcp, udp), an http(s) URL, one MQTT topic, a device id.",
  check({ file, report }) {
    for (const { gi, item, ii } of itemsOf(file.data)) {
      if (!isObj(item.auto_check)) continue;
      for (const [probe, target] of Object.entries(item.auto_check)) {
        if (typeof target !== 'string' || target.trim() === '') continue;
        const problem = probeTargetProblem(probe, target);
        if (!problem) continue;
        const path = ['gates', gi, 'checklist', ii, 'auto_check', probe];
        report(probeTargetMessage(pathText(path), target, problem), file.locate(path));
      }
    }
  },
};
