import { type Environment, SwitchyardError } from '@switchyard/core';
import { createFileRepository } from '@switchyard/db';
import type { Databases } from '../infrastructure/databases';
import type { PlatformJobQueue } from '../jobs/job-queue';
import type { SettingsStore } from '../settings/settings-store';
import { type AudioContainer, audioSecondsOf, sniffAudio } from './audio-formats';
import { newAudioJobId } from './audio-job';
import type { AudioModels } from './audio-models';
import type { AudioQuota, AudioReservation } from './audio-quota';

export interface AudioAttachmentUpload {
  readonly environment: Environment;
  readonly userId: string;
  /** The quota subject of the uploader (`user:<id>` or `key:<id>`): their audio minutes pay for it. */
  readonly subject: string;
  readonly fileId: string;
  readonly objectKey: string;
  readonly bytes: Buffer;
  readonly container: AudioContainer;
  /** The upload's request (its X-Request-Id): stored with the transcription job, whose log lines carry it. */
  readonly requestId?: string;
}

/** Audio attached to a chat: its transcript becomes the file's text, as a document's extracted text does. */
export interface AudioAttachments {
  /** The container when the bytes are audio (the files route then hands the upload here, not to extraction). */
  sniff(bytes: Buffer): AudioContainer | undefined;
  /** 415 when no transcription model serves the environment, before anything is stored. */
  assertAvailable(environment: Environment): void;
  /**
   * Transcribes a stored upload: while the request waits when it is at most `audio.max_sync_bytes`
   * (the file is ready when the upload answers), else, or when the upstream is down, in the
   * `audio.transcribe` job (the file stays pending until it is done, like a document being extracted).
   */
  transcribe(upload: AudioAttachmentUpload): Promise<void>;
}

export interface AudioAttachmentDependencies {
  readonly audioModels: AudioModels;
  readonly audioQuota: AudioQuota;
  readonly settings: Pick<SettingsStore, 'current'>;
  readonly jobs: PlatformJobQueue;
  readonly databases: Databases;
}

const reason = (error: unknown) =>
  error instanceof SwitchyardError ? `${error.message} (${error.code})` : 'transcription failed';

export function createAudioAttachments(dependencies: AudioAttachmentDependencies): AudioAttachments {
  const { audioModels, audioQuota, settings, jobs, databases } = dependencies;

  async function enqueue(upload: AudioAttachmentUpload, modelId: string, reservation: AudioReservation) {
    await jobs.enqueue(
      'audio.transcribe',
      {
        environment: upload.environment,
        subject: upload.subject,
        apiKeyId: null,
        task: 'transcribe',
        model: modelId,
        objectKey: upload.objectKey,
        fileName: `audio.${upload.container.extension}`,
        mimeType: upload.container.mimeType,
        bytes: upload.bytes.length,
        format: 'json',
        userId: upload.userId,
        fileId: upload.fileId,
        quota: { day: reservation.day, seconds: reservation.seconds },
      },
      {
        environment: upload.environment,
        jobId: newAudioJobId(),
        ...(upload.requestId ? { trace: { requestId: upload.requestId } } : {}),
      },
    );
  }

  return {
    sniff: sniffAudio,
    assertAvailable(environment) {
      try {
        audioModels.resolve(undefined, 'transcription', environment);
      } catch {
        throw new SwitchyardError(
          'SY_ERR_UNSUPPORTED_MEDIA_TYPE',
          'Audio attachments need a transcription model, and none is configured (audioModels; see docs/voice.md)',
        );
      }
    },
    async transcribe(upload) {
      const model = audioModels.resolve(undefined, 'transcription', upload.environment);
      const files = createFileRepository(databases[upload.environment].db);
      const reservation = await audioQuota.reserve(
        upload.environment,
        upload.subject,
        audioSecondsOf(upload.bytes, undefined),
      );
      if (upload.bytes.length > settings.current().getInteger('audio.max_sync_bytes')) {
        await enqueue(upload, model.id, reservation);
        return;
      }
      let text: string;
      try {
        const transcript = await model.provider.transcribe({
          file: {
            bytes: upload.bytes,
            fileName: `audio.${upload.container.extension}`,
            mimeType: upload.container.mimeType,
          },
          format: 'json',
        });
        await audioQuota.settle(reservation, audioSecondsOf(upload.bytes, transcript.durationSeconds));
        text = (transcript.text ?? transcript.body).trim();
      } catch (error) {
        // The upstream is down or busy: the job retries on its back-off, the reservation goes with it.
        if (error instanceof SwitchyardError && error.isRetryable) return enqueue(upload, model.id, reservation);
        await audioQuota.release(reservation).catch(() => {});
        await files.markFailed(upload.fileId, reason(error).slice(0, 500));
        return;
      }
      await files.markReady(upload.fileId, text);
    },
  };
}
