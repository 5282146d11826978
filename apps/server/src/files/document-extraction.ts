import { SwitchyardError } from '@switchyard/core';
import { createFileRepository } from '@switchyard/db';
import type { JobContext, JobPayload, PlatformJobs } from '@switchyard/jobs';
import type { ObjectStore } from '@switchyard/storage';
import type { Databases } from '../infrastructure/databases';
import type { SettingsStore } from '../settings/settings-store';
import { extractInWorker, type WorkerLimits } from './extract-in-worker';
import { type ExtractionLimits, extractText, maximumExtractedCharacters } from './extract-text';

type ExtractContext = JobContext<JobPayload<PlatformJobs, 'document.extract'>>;
type Settings = Pick<SettingsStore, 'current'>;

/** The cheap limits (ZIP directory, image header, characters) in force now: settings files.extract.*. */
export function extractionLimits(settings: Settings): ExtractionLimits {
  const current = settings.current();
  return {
    maxUncompressedBytes: current.getInteger('files.extract.max_uncompressed_bytes'),
    maxEntries: current.getInteger('files.extract.max_entries'),
    maxPixels: current.getInteger('files.extract.max_pixels'),
    maxCharacters: maximumExtractedCharacters,
  };
}

function workerLimits(settings: Settings): WorkerLimits {
  const current = settings.current();
  return {
    ...extractionLimits(settings),
    timeoutMs: current.getInteger('files.extract.timeout_ms'),
    memoryMb: current.getInteger('files.extract.memory_mb'),
  };
}

/** What the file row keeps: the reason, with the stable code when there is one. */
const storedError = (error: unknown) =>
  error instanceof SwitchyardError
    ? `${error.message} (${error.code})`
    : error instanceof Error
      ? error.message
      : 'text extraction failed';

/**
 * The document.extract job: reads the upload back from storage, extracts its text in a worker
 * process (PDF, DOCX, images: never on this process's event loop) and stores it on the file row.
 * `workerEntry` (a test hook) names the worker's script instead of the default one.
 */
export function createDocumentExtractor(
  databases: Databases,
  storage: ObjectStore,
  settings: Settings,
  workerEntry?: () => Promise<string>,
) {
  return async (context: ExtractContext) => {
    const { payload } = context;
    const files = createFileRepository(databases[payload.environment].db);
    try {
      const { body } = await storage.getBuffer(payload.objectKey);
      const limits = workerLimits(settings);
      // Text is only decoded (at most the character cap's worth of bytes): no parser, no process to start.
      const plainText = payload.mimeType.startsWith('text/') || payload.mimeType === 'application/json';
      const text = plainText
        ? await extractText(body, payload.mimeType, limits)
        : workerEntry
          ? await extractInWorker(body, payload.mimeType, limits, await workerEntry())
          : await extractInWorker(body, payload.mimeType, limits);
      await files.markReady(payload.documentId, text);
      return { documentId: payload.documentId, characters: text.length };
    } catch (error) {
      const final = context.attempt >= context.maxAttempts || !(error instanceof SwitchyardError && error.isRetryable);
      if (final) await files.markFailed(payload.documentId, storedError(error).slice(0, 500));
      throw error;
    }
  };
}
