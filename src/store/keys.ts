/**
 * Every Redis key Gazette writes, in one place. All keys start with the configured prefix
 * (which carries a hash tag such as `{gazette}`, so a Redis Cluster keeps them in one slot
 * and multi-key scripts work).
 */
export function keys(prefix: string) {
  return {
    briefing: (id: string) => `${prefix}:briefing:${id}`,
    briefingsByDate: `${prefix}:briefings:published`,
    /** Every briefing (published or not) by the time Gazette first stored it; an edit never moves it. */
    briefingsByCollected: `${prefix}:briefings:collected`,
    sourceCursor: (sourceId: string) => `${prefix}:source:${sourceId}:cursor`,
    quarantine: `${prefix}:quarantine`,
    quarantineByTime: `${prefix}:quarantine:by-time`,
    reader: (id: string) => `${prefix}:reader:${id}`,
    readerByEmail: `${prefix}:readers:by-email`,
    subscription: (listId: string, readerId: string) => `${prefix}:sub:${listId}:${readerId}`,
    listMembers: (listId: string) => `${prefix}:list:${listId}:members`,
    listLastCutoff: (listId: string) => `${prefix}:list:${listId}:last-cutoff`,
    listEditions: (listId: string) => `${prefix}:list:${listId}:editions`,
    consent: `${prefix}:consent`,
    /** The consent record as first kept (a stream); read, no longer written. */
    readerConsent: (readerId: string) => `${prefix}:reader:${readerId}:consent`,
    /** The consent record: one JSON entry per change, appended, never trimmed; keyed by reader id, never by address. */
    readerConsentLog: (readerId: string) => `${prefix}:reader:${readerId}:consent-log`,
    /** Abuse counters and cool-downs, keyed by a hash of the address or the client IP. */
    throttle: (kind: string, subject: string) => `${prefix}:throttle:${kind}:${subject}`,
    suppressed: `${prefix}:suppressed`,
    edition: (id: string) => `${prefix}:edition:${id}`,
    editionStatus: (id: string) => `${prefix}:edition:${id}:status`,
    editionAudience: (id: string) => `${prefix}:edition:${id}:audience`,
    editionTopicSets: (id: string) => `${prefix}:edition:${id}:topic-sets`,
    editionRender: (id: string, topicKey: string) => `${prefix}:edition:${id}:render:${topicKey}`,
    ledger: (id: string) => `${prefix}:edition:${id}:ledger`,
    /** Job duration histogram of a queue (bucket counts, sum, count), shared by every worker. */
    opsJobSeconds: (queue: string) => `${prefix}:ops:job-seconds:${queue}`,
    /** Briefings collected and quarantined by source (`SOURCE|new`, `SOURCE|quarantined`…). */
    opsCollected: `${prefix}:ops:collected`,
    /** Time (epoch ms) of each source's last collection run that completed. */
    opsLastCollection: `${prefix}:ops:last-collection`,
  } as const;
}

export type Keys = ReturnType<typeof keys>;
