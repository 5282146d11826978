import { randomUUID } from 'node:crypto';
import { type Environment, SwitchyardError } from '@switchyard/core';
import { createAudioRecordingRepository, createConversationRepository, createFileRepository } from '@switchyard/db';
import type { JobContext, JobPayload, JobRecord, PlatformJobs } from '@switchyard/jobs';
import type { ObjectStore } from '@switchyard/storage';
import type { Databases } from '../infrastructure/databases';
import { publicStatus } from '../jobs/job-http';
import type { PlatformJobQueue } from '../jobs/job-queue';
import { audioSecondsOf } from './audio-formats';
import type { AudioModels } from './audio-models';
import type { AudioQuota } from './audio-quota';

export const newAudioJobId = () => `audio_${randomUUID().replaceAll('-', '')}`;
export const audioObjectKey = (environment: Environment, id: string) => `audio/${environment}/${id}/recording`;
export const transcriptObjectKey = (environment: Environment, id: string) => `audio/${environment}/${id}/transcript`;
/** The message a job posts: derived from the job's id, so however often the job runs it posts one. */
export const transcriptMessageId = (jobId: string) => `msg_${jobId}`;

/** What a finished job keeps in its result (the transcript itself sits in object storage). */
export interface AudioJobResult {
  transcriptKey: string;
  contentType: string;
  /** The plain text, when the format has it, cut to 100,000 characters (the transcript is whole in storage). */
  text: string | null;
  durationSeconds: number;
  /** The chat message the transcript became, when the recording came from a chat. */
  messageId?: string | null;
}

export interface AudioJobDependencies {
  readonly storage: ObjectStore;
  readonly audioModels: AudioModels;
  readonly audioQuota: AudioQuota;
  readonly databases: Databases;
  readonly clock?: { now(): number };
}

export type AudioPayload = JobPayload<PlatformJobs, 'audio.transcribe'>;

const storedError = (error: unknown) =>
  error instanceof SwitchyardError
    ? `${error.message} (${error.code})`
    : error instanceof Error
      ? error.message
      : 'transcription failed';

/**
 * The `audio.transcribe` handler: reads the recording from object storage, has the audio model
 * transcribe (or translate) it, saves the transcript, settles the caller's minutes and, when the
 * recording came from a chat, posts the transcript there as the user's message (once, however many
 * times the job runs) or, for an audio attachment, makes it the file's text. Upstream faults (5xx,
 * 429, timeouts, unreachable) are retried on the job's back-off; a 4xx from the upstream fails the
 * job at once. A job that fails for good gives the reserved minutes back.
 */
export function createAudioJobHandler(dependencies: AudioJobDependencies) {
  const { storage, audioModels, audioQuota, databases } = dependencies;
  const clock = dependencies.clock ?? Date;
  return async ({ id, payload, signal, attempt, maxAttempts, reportProgress }: JobContext<AudioPayload>) => {
    const db = databases[payload.environment].db;
    const recordings = createAudioRecordingRepository(db);
    try {
      const result = await transcribeRecording(id, payload, signal, reportProgress);
      return { ...result };
    } catch (error) {
      const final = attempt >= maxAttempts || !(error instanceof SwitchyardError && error.isRetryable);
      if (final) {
        await recordings.markFinished(id, { status: 'failed', at: new Date(clock.now()) });
        if (payload.fileId) await createFileRepository(db).markFailed(payload.fileId, storedError(error).slice(0, 500));
        if (payload.quota) {
          await audioQuota
            .release({ environment: payload.environment, subject: payload.subject, ...payload.quota })
            .catch(() => {});
        }
      }
      throw error;
    }
  };

  async function transcribeRecording(
    id: string,
    payload: AudioPayload,
    signal: AbortSignal,
    reportProgress: JobContext<AudioPayload>['reportProgress'],
  ): Promise<AudioJobResult> {
    const progress = (stage: string, fraction: number) => reportProgress({ stage, fraction }).catch(() => {});
    const db = databases[payload.environment].db;
    await progress('reading', 0);
    const { body: bytes } = await storage.getBuffer(payload.objectKey);
    const model = audioModels.resolve(payload.model, 'transcription', payload.environment);
    await progress(payload.task === 'translate' ? 'translating' : 'transcribing', 0.1);
    const request = {
      file: { bytes, fileName: payload.fileName, mimeType: payload.mimeType },
      format: payload.format,
      ...(payload.language === undefined ? {} : { language: payload.language }),
      ...(payload.prompt === undefined ? {} : { prompt: payload.prompt }),
      ...(payload.temperature === undefined ? {} : { temperature: payload.temperature }),
      ...(payload.timestampGranularities === undefined
        ? {}
        : { timestampGranularities: payload.timestampGranularities }),
    };
    const transcript =
      payload.task === 'translate'
        ? await model.provider.translate(request, { signal })
        : await model.provider.transcribe(request, { signal });
    await progress('saving', 0.9);
    const transcriptKey = transcriptObjectKey(payload.environment, id);
    await storage.put(transcriptKey, Buffer.from(transcript.body, 'utf8'), { contentType: transcript.contentType });
    const durationSeconds = audioSecondsOf(bytes, transcript.durationSeconds);
    const text = (transcript.text ?? transcript.body).trim();
    let messageId: string | null = null;
    if (payload.conversationId && payload.userId && text) {
      messageId = await postTranscript(db, id, payload.conversationId, payload.userId, text);
    }
    if (payload.fileId) await createFileRepository(db).markReady(payload.fileId, text);
    await createAudioRecordingRepository(db).markFinished(id, {
      status: 'completed',
      at: new Date(clock.now()),
      transcriptKey,
      messageId,
    });
    // Last: a retry after a failure above must not count the minutes twice.
    if (payload.quota) {
      await audioQuota.settle(
        { environment: payload.environment, subject: payload.subject, ...payload.quota },
        durationSeconds,
      );
    }
    await progress('done', 1);
    return {
      transcriptKey,
      contentType: transcript.contentType,
      text: transcript.text === undefined ? null : transcript.text.slice(0, 100_000),
      durationSeconds,
      messageId,
    };
  }
}

/**
 * The transcript as the user's message in their chat. The chat was checked to be theirs when the
 * job was queued; one deleted since gets no message (and no error: there is nothing to retry).
 */
async function postTranscript(
  db: Databases[Environment]['db'],
  jobId: string,
  conversationId: string,
  userId: string,
  text: string,
): Promise<string | null> {
  const conversations = createConversationRepository(db);
  if (!(await conversations.findForUser(conversationId, userId))) return null;
  const message = await conversations.addMessageOnce(conversationId, {
    id: transcriptMessageId(jobId),
    userId,
    role: 'user',
    content: text,
  });
  return message.id;
}

export async function registerAudioJob(jobs: PlatformJobQueue, dependencies: AudioJobDependencies): Promise<void> {
  await jobs.process('audio.transcribe', createAudioJobHandler(dependencies));
}

/** A job as the audio API shows it; `transcript` is added by the status route, which reads storage. */
export function describeAudioJob(job: JobRecord): Record<string, unknown> {
  const payload = job.payload as Partial<AudioPayload>;
  const result = job.status === 'completed' ? (job.result as AudioJobResult | null) : null;
  return {
    id: job.id,
    object: 'audio.transcription.job',
    status: publicStatus(job),
    task: payload.task ?? 'transcribe',
    model: payload.model ?? '',
    environment: job.environment,
    attempts: job.attempts,
    response_format: payload.format ?? 'json',
    ...(payload.conversationId ? { conversation_id: payload.conversationId } : {}),
    ...(job.progress === null ? {} : { progress: job.progress }),
    ...(result ? { text: result.text, duration: result.durationSeconds } : {}),
    ...(result?.messageId ? { message_id: result.messageId } : {}),
    ...(job.status === 'dead' && job.lastError ? { error: job.lastError } : {}),
    created_at: job.createdAt.toISOString(),
    finished_at: job.finishedAt ? job.finishedAt.toISOString() : null,
    status_url: `/v1/audio/jobs/${job.id}`,
    events_url: `/v1/audio/jobs/${job.id}/events`,
  };
}
