export { LintasError, isLintasError } from './lintas-error.js';
export type { LintasErrorCode } from './lintas-error.js';
