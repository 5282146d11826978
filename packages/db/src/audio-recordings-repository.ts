import { and, asc, desc, eq, isNotNull, lt } from 'drizzle-orm';
import { type AudioRecordingRow, audioRecordings, type NewAudioRecording } from './audio-schema';
import type { Db } from './client';
import type { PageOptions } from './page';

/** Recordings kept for async transcriptions, in the database of their environment. */
export interface AudioRecordingRepository {
  create(recording: NewAudioRecording): Promise<void>;
  find(id: string): Promise<AudioRecordingRow | undefined>;
  /** The recording if this subject made it; another subject's reads as missing. */
  findForSubject(id: string, subject: string): Promise<AudioRecordingRow | undefined>;
  /** Newest first. */
  listForSubject(subject: string, page: PageOptions): Promise<AudioRecordingRow[]>;
  markFinished(
    id: string,
    finished: {
      status: 'completed' | 'failed';
      at: Date;
      transcriptKey?: string | null;
      messageId?: string | null;
    },
  ): Promise<void>;
  /** Recordings whose job finished before `before`, oldest first: what the retention purge deletes. */
  listFinishedBefore(before: Date, limit: number): Promise<AudioRecordingRow[]>;
  delete(id: string): Promise<void>;
}

export function createAudioRecordingRepository(db: Db): AudioRecordingRepository {
  return {
    async create(recording) {
      await db.insert(audioRecordings).values(recording);
    },
    async find(id) {
      const [row] = await db.select().from(audioRecordings).where(eq(audioRecordings.id, id));
      return row;
    },
    async findForSubject(id, subject) {
      const [row] = await db
        .select()
        .from(audioRecordings)
        .where(and(eq(audioRecordings.id, id), eq(audioRecordings.subject, subject)));
      return row;
    },
    listForSubject: (subject, page) =>
      db
        .select()
        .from(audioRecordings)
        .where(eq(audioRecordings.subject, subject))
        .orderBy(desc(audioRecordings.createdAt), desc(audioRecordings.id))
        .limit(page.limit)
        .offset(page.offset),
    async markFinished(id, finished) {
      await db
        .update(audioRecordings)
        .set({
          status: finished.status,
          finishedAt: finished.at,
          ...(finished.transcriptKey === undefined ? {} : { transcriptKey: finished.transcriptKey }),
          ...(finished.messageId === undefined ? {} : { messageId: finished.messageId }),
        })
        .where(eq(audioRecordings.id, id));
    },
    listFinishedBefore: (before, limit) =>
      db
        .select()
        .from(audioRecordings)
        .where(and(isNotNull(audioRecordings.finishedAt), lt(audioRecordings.finishedAt, before)))
        .orderBy(asc(audioRecordings.finishedAt))
        .limit(limit),
    async delete(id) {
      await db.delete(audioRecordings).where(eq(audioRecordings.id, id));
    },
  };
}
