/** The healer: fix proposals for failing checks on heal/* branches, from built-in strategies or an outside agent's patch. */
export { heal, type HealOptions, type HealReport, type HealIncident, type HealAttempt } from './heal.js';
export { fixProfile, DEFAULT_PROFILE_ROWS, type FixProfile, type FixProfileOptions, type TableProfile, type ColumnProfile, type ColumnStats } from './fix-profile.js';
export { readFixTrailers, parseFixKinds, type FixTrailers } from './fix-trailers.js';
export { propose, type ProposeOptions, type ProposeResult } from './propose.js';
export { failingRowEvidence, DEFAULT_EVIDENCE_ROWS, type EvidenceOptions, type FailingRowEvidence, type RowEvidence } from './evidence.js';
export {
  parsePatch,
  checkPatch,
  canonicalPatchText,
  PatchError,
  FixPatchSchema,
  PatchEditSchema,
  PATCH_OPS,
  MAX_PATCH_BYTES,
  type FixPatch,
  type PatchEdit,
  type PatchOp,
  type ParsedPatch,
} from './patch.js';
export { resolvePatch, rowsChanged, columnsTouched, type TableChange, type ResolvedEdit } from './patch-resolution.js';
export { policyViolations, changeExtent, PolicyViolationError, type ChangeExtent } from './policy.js';
export { compareReports, type Recheck } from './recheck.js';
export { quarantineTableName, QUARANTINE_REASON_COLUMN } from './quarantine.js';
export { incidentId, checkHealBranchName } from './proposal.js';
export { STRATEGY_NAMES, plansFor, planName, type StrategyName, type DuplicateRule } from './strategies/index.js';
export { recordIncidentOutcome, listIncidents, INCIDENTS_TABLE, INCIDENT_LOG_REF, type Incident, type IncidentOutcome, type KnownIncident } from '../incidents/index.js';
