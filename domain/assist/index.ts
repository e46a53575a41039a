/**
 * The reimbursement assistant's understanding: a chat message to the bot → proposed expense lines for a Kingdee
 * 费用报销单, with a question for every field that is missing or ambiguous, and the confirmation card's text.
 *
 * Pure and deterministic (runs in the Temporal workflow sandbox): base data and the day are passed in.
 */
export { AssistInputError, parseExpenseMessage, resolveToday } from './parse';
export { findDates, type DateMention, type DateProblem } from './dates';
export { findAmounts, parseNumeral, type AmountMention, type AmountRole } from './numbers';
export { findTerms, itemTerms, projectTerms, type TermMention } from './match';
export { normalizeMessage } from './text';
export { dateLabel, questionText, summaryText } from './texts';
export type * from './types';
