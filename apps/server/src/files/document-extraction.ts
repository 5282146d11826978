import { SwitchyardError } from '@switchyard/core';
import { createFileRepository } from '@switchyard/db';
import type { JobContext, JobPayload, PlatformJobs } from '@switchyard/jobs';
import type { ObjectStore } from '@switchyard/storage';
import type { Databases } from '../infrastructure/databases';
import { extractText } from './extract-text';

type ExtractContext = JobContext<JobPayload<PlatformJobs, 'document.extract'>>;

/** The document.extract job: reads the upload back from storage and stores its text on the file row. */
export function createDocumentExtractor(databases: Databases, storage: ObjectStore) {
  return async (context: ExtractContext) => {
    const { payload } = context;
    const files = createFileRepository(databases[payload.environment].db);
    try {
      const { body } = await storage.getBuffer(payload.objectKey);
      const text = await extractText(body, payload.mimeType);
      await files.markReady(payload.documentId, text);
      return { documentId: payload.documentId, characters: text.length };
    } catch (error) {
      const final = context.attempt >= context.maxAttempts || !(error instanceof SwitchyardError && error.isRetryable);
      if (final) {
        await files.markFailed(
          payload.documentId,
          error instanceof Error ? error.message.slice(0, 500) : 'text extraction failed',
        );
      }
      throw error;
    }
  };
}
