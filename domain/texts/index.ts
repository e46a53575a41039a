/**
 * Every user-facing Chinese text of the bridge, as pure functions of data; code calls these, no other module writes
 * Chinese sentences. One file per audience, all re-exported here (workflows use `import * as messages`):
 *
 * - format.ts — money, times, waiting times, and the `{单号}` templates of the rules file
 * - cards.ts — the approval card's parameters, its states and the text shown instead of its buttons
 * - notices.ts — reminders, escalation, overdue, applicant and follow-up notices, the ops alert, rule notifications
 * - decisions.ts — decisions as people read them, and the comment written back to Kingdee
 * - bot-replies.ts — answers and refusals to the person deciding, the robot's text replies
 * - web-ui.ts — the Temporal Web UI's summary line, stage labels and current details
 * - planning.ts — why a step was skipped or an approval cannot be planned, and what to fix
 * - approval.ts — the approval workflow's own log comments, admin answers and needs-attention hints
 *
 * Pure and deterministic: the workflow bundle imports this folder, so nothing here does I/O or imports Node.
 */
export { documentStatusLabels } from '../document';
export {
  formatAmount,
  formatElapsed,
  formatMoney,
  formatTime,
  renderTemplate,
  templatePlaceholderNames,
  templatePlaceholders,
  templateValuesFor,
  unknownTemplatePlaceholders,
  type Instant,
  type TemplatePlaceholder,
  type TemplateValues,
  type TimeZone,
} from './format';
export * from './cards';
export * from './notices';
export * from './decisions';
export * from './bot-replies';
export * from './web-ui';
export * from './planning';
export * from './approval';
