import { NotFoundError, UsageError } from '../errors/index.js';
import type { Repository } from '../repository/repository.js';
import { incidentTime, type Incident } from './incident.js';
import { appendIncidentLog } from './incident-log.js';
import { listIncidents } from './incident-memory.js';

/**
 * A person accepts the new state of the data for an open incident (the rows a
 * load removed were meant to go, the column is text now on purpose): recorded in
 * the incident log with who and why, outcome `accepted`. An incident stays open
 * until its fix lands or someone accepts it this way; a row_count check then
 * compares with the accepted revision.
 */
export async function acceptIncident(repository: Repository, id: string, reason: string, by?: string): Promise<Incident> {
  if (reason.trim() === '') throw new UsageError('accepting an incident needs a reason', '--reason');
  const known = await listIncidents(repository);
  const current = known.find((incident) => incident.id === id);
  if (!current) throw new NotFoundError(`incident ${JSON.stringify(id)} (\`dgit incidents\` lists them)`, id);
  if (current.outcome === 'merged' || current.outcome === 'accepted') throw new UsageError(`incident ${id} is closed already (${current.outcome})`, id);
  const signature = await repository.signature(undefined, 'COMMITTER');
  const who = by?.trim() || `${signature.name} <${signature.email}>`;
  const now = new Date(signature.timestamp * 1000).getTime();
  const updatedAt = incidentTime(new Date(Math.max(now, Date.parse(current.updated_at) + 1)));
  const { source: _source, ...incident } = current;
  const accepted: Incident = { ...incident, outcome: 'accepted', accepted_by: who, reason: `accepted: ${reason.trim()}`, updated_at: updatedAt };
  await appendIncidentLog(repository, [accepted], `incidents: ${who} accepted ${id}\n\n${reason.trim()}\n`);
  return accepted;
}
