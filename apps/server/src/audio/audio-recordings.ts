import { type Environment, environments } from '@switchyard/core';
import { type AudioRecordingRow, createAudioRecordingRepository } from '@switchyard/db';
import type { ObjectStore } from '@switchyard/storage';
import type { Databases } from '../infrastructure/databases';
import type { SettingsStore } from '../settings/settings-store';

const dayMs = 86_400_000;

/** A stored recording as the audio API shows it. */
export function describeRecording(row: AudioRecordingRow, retentionDays: number) {
  return {
    id: row.id,
    object: 'audio.recording' as const,
    status: row.status as 'queued' | 'completed' | 'failed',
    bytes: row.bytes,
    mime_type: row.mimeType,
    conversation_id: row.conversationId,
    message_id: row.messageId,
    created_at: row.createdAt.toISOString(),
    finished_at: row.finishedAt ? row.finishedAt.toISOString() : null,
    expires_at: row.finishedAt ? new Date(row.finishedAt.getTime() + retentionDays * dayMs).toISOString() : null,
  };
}

/**
 * Deletes a recording's objects (the audio and the transcript) and then its row: a failure part-way
 * leaves the row, so the next delete or purge finishes the job. Deleting a missing object is no error.
 */
export async function deleteRecording(databases: Databases, storage: ObjectStore, row: AudioRecordingRow) {
  const environment = row.environment as Environment;
  await storage.delete(row.objectKey);
  if (row.transcriptKey) await storage.delete(row.transcriptKey);
  await createAudioRecordingRepository(databases[environment].db).delete(row.id);
}

export interface RecordingPurgeDependencies {
  readonly databases: Databases;
  readonly storage: ObjectStore;
  readonly settings: Pick<SettingsStore, 'current'>;
  readonly clock?: { now(): number };
}

/**
 * Deletes the recordings (and transcripts) of jobs that finished more than
 * `audio.recording_retention_days` ago, in both environments, at most `batch` per environment a run;
 * run with the other purges (hourly). Returns how many went.
 */
export async function purgeExpiredRecordings(dependencies: RecordingPurgeDependencies, batch = 500): Promise<number> {
  const { databases, storage, settings } = dependencies;
  const now = (dependencies.clock ?? Date).now();
  const retentionDays = settings.current().getInteger('audio.recording_retention_days');
  const before = new Date(now - retentionDays * dayMs);
  let purged = 0;
  for (const environment of environments) {
    // No stored audio in an environment, nothing to look up: an embedded dev database nobody uses stays unopened.
    const { items } = await storage.list(`audio/${environment}/`, { limit: 1 });
    if (items.length === 0) continue;
    const rows = await createAudioRecordingRepository(databases[environment].db).listFinishedBefore(before, batch);
    for (const row of rows) {
      await deleteRecording(databases, storage, row);
      purged += 1;
    }
  }
  return purged;
}
