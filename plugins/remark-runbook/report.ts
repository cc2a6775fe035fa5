// Reporters: `file:line:column  message  rule-id` lines (what editors and CI problem matchers
// parse) with a summary, or JSON.
import type { LintMessage } from './types.ts';

export interface LintResult {
  /** Pages checked (display paths). */
  files: string[];
  messages: LintMessage[];
  errorCount: number;
  warningCount: number;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function summary(errorCount: number, warningCount: number): string {
  return `${plural(errorCount, 'error')}, ${plural(warningCount, 'warning')}`;
}

/** One line per message; warnings say so in front of the message. */
export function formatLine(m: LintMessage): string {
  return `${m.path}:${m.line}:${m.column}  ${m.severity === 'warning' ? 'warning: ' : ''}${m.reason}  ${m.ruleId}`;
}

export function formatText(result: Pick<LintResult, 'messages' | 'errorCount' | 'warningCount'>): string {
  return [...result.messages.map(formatLine), summary(result.errorCount, result.warningCount)].join('\n') + '\n';
}

export function formatJson(result: LintResult): string {
  return JSON.stringify(result, null, 2) + '\n';
}

export function toResult(files: string[], messages: LintMessage[]): LintResult {
  const errorCount = messages.filter((m) => m.severity === 'error').length;
  return { files, messages, errorCount, warningCount: messages.length - errorCount };
}
