/** The incident memory: `_dgit_incidents` on branches and in the incident log, read together. */
export {
  INCIDENTS_TABLE,
  INCIDENT_OUTCOMES,
  INCIDENT_COLUMNS,
  INCIDENT_SAMPLE_SIZE,
  incidentTableSchema,
  incidentTime,
  laterState,
  isOpenOutcome,
  type Incident,
  type EarlierFix,
  type IncidentOutcome,
} from './incident.js';
export { readIncidentTable, writeIncidentRows } from './incident-table.js';
export { INCIDENT_LOG_REF, readIncidentLog, appendIncidentLog } from './incident-log.js';
export { HEAL_BRANCH_PREFIX, listIncidents, healBranches, findIncident, checkHistory, openIncidentOf, type KnownIncident, type CheckHistory } from './incident-memory.js';
export { recordIncidentOutcome } from './record-outcome.js';
export { acceptIncident } from './accept.js';
