import { randomUUID } from 'node:crypto';
import type { Environment } from '@switchyard/core';
import type { JobContext, JobPayload, JobRecord, PlatformJobs } from '@switchyard/jobs';
import type { ObjectStore } from '@switchyard/storage';
import { publicStatus } from '../jobs/job-http';
import type { PlatformJobQueue } from '../jobs/job-queue';
import { audioSecondsOf } from './audio-formats';
import type { AudioModels } from './audio-models';
import type { AudioQuota } from './audio-quota';

export const newAudioJobId = () => `audio_${randomUUID().replaceAll('-', '')}`;
export const audioObjectKey = (environment: Environment, id: string) => `audio/${environment}/${id}/recording`;
export const transcriptObjectKey = (environment: Environment, id: string) => `audio/${environment}/${id}/transcript`;

/** What a finished job keeps in its result (the transcript itself sits in object storage). */
export interface AudioJobResult {
  transcriptKey: string;
  contentType: string;
  /** The plain text, when the format has it, cut to 100,000 characters (the transcript is whole in storage). */
  text: string | null;
  durationSeconds: number;
}

export interface AudioJobDependencies {
  readonly storage: ObjectStore;
  readonly audioModels: AudioModels;
  readonly audioQuota: AudioQuota;
}

type AudioPayload = JobPayload<PlatformJobs, 'audio.transcribe'>;

/**
 * `audio.transcribe`: reads the recording from object storage, has the audio model transcribe (or
 * translate) it, saves the transcript and counts its minutes. Upstream faults (5xx, 429, timeouts,
 * unreachable) are retried on the job's back-off; a 4xx from the upstream fails the job at once.
 */
export async function registerAudioJob(jobs: PlatformJobQueue, dependencies: AudioJobDependencies): Promise<void> {
  const { storage, audioModels, audioQuota } = dependencies;
  await jobs.process('audio.transcribe', async ({ id, payload, signal, reportProgress }: JobContext<AudioPayload>) => {
    const progress = (stage: string, fraction: number) => reportProgress({ stage, fraction }).catch(() => {});
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
    if (payload.quota) {
      await audioQuota.settle(
        { environment: payload.environment, subject: payload.subject, ...payload.quota },
        durationSeconds,
      );
    }
    await progress('done', 1);
    const result: AudioJobResult = {
      transcriptKey,
      contentType: transcript.contentType,
      text: transcript.text === undefined ? null : transcript.text.slice(0, 100_000),
      durationSeconds,
    };
    return { ...result };
  });
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
    ...(job.progress === null ? {} : { progress: job.progress }),
    ...(result ? { text: result.text, duration: result.durationSeconds } : {}),
    ...(job.status === 'dead' && job.lastError ? { error: job.lastError } : {}),
    created_at: job.createdAt.toISOString(),
    finished_at: job.finishedAt ? job.finishedAt.toISOString() : null,
    status_url: `/v1/audio/jobs/${job.id}`,
    events_url: `/v1/audio/jobs/${job.id}/events`,
  };
}
