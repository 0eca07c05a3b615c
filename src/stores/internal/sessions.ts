/**
 * Sessions from refresh records (internal): the memory and SQLite stores keep no session table,
 * they group an identity's live refresh records by family.
 *
 * @module
 */
import type { RefreshRecord, SessionRecord } from '../types.js'

/** What decides whether a family is still a live session. */
export interface SessionFilter {
  /** The identity's cut-off (`null`: none): a family whose newest token was issued before it is over. */
  cutoff: number | null
  /** Whether the family is revoked. */
  isFamilyRevoked(familyId: string): boolean
}

/**
 * Groups live (unexpired) records of one identity into sessions, each described by its newest
 * record, newest use first.
 */
export function groupSessions(records: Iterable<RefreshRecord>, filter: SessionFilter): SessionRecord[] {
  const newest = new Map<string, RefreshRecord>()
  const started = new Map<string, number>()
  for (const record of records) {
    const current = newest.get(record.familyId)
    if (current === undefined || record.issuedAt >= current.issuedAt) newest.set(record.familyId, record)
    const begin = record.createdAt ?? record.issuedAt
    started.set(record.familyId, Math.min(begin, started.get(record.familyId) ?? begin))
  }
  const sessions: SessionRecord[] = []
  for (const [familyId, record] of newest) {
    if (filter.isFamilyRevoked(familyId)) continue
    if (filter.cutoff !== null && record.issuedAt < filter.cutoff) continue
    sessions.push({
      id: familyId,
      identity: record.identity,
      createdAt: record.createdAt ?? started.get(familyId) ?? record.issuedAt,
      lastUsedAt: record.issuedAt,
      expiresAt: record.expiresAt,
      userAgent: record.userAgent ?? null,
      clientAddress: record.clientAddress ?? null,
    })
  }
  return sessions.sort((a, b) => b.lastUsedAt - a.lastUsedAt || (a.id < b.id ? -1 : 1))
}
