/** Data-quality checks of dgit.yml, run in DuckDB over a revision's chunks. */
export { runChecks, DEFAULT_SAMPLE_SIZE, type RunChecksOptions } from './run-checks.js';
export { failsReport, type CheckReport, type CheckResult, type CheckSample, type CheckScope, type CheckObservation } from './check-result.js';
export { CheckVerdictCache } from './check-scope.js';
