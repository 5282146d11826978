import { SwitchyardError } from '@switchyard/core';
import { uploadedFiles } from '@switchyard/db';
import type { JobContext, JobPayload, PlatformJobs } from '@switchyard/jobs';
import type { ObjectStore } from '@switchyard/storage';
import { eq } from 'drizzle-orm';
import type { Databases } from '../infrastructure/databases';
import { extractText } from './extract-text';

type ExtractContext = JobContext<JobPayload<PlatformJobs, 'document.extract'>>;

/** The document.extract job: reads the upload back from storage and stores its text on the file row. */
export function createDocumentExtractor(databases: Databases, storage: ObjectStore) {
  return async (context: ExtractContext) => {
    const { payload } = context;
    const database = databases[payload.environment].db;
    try {
      const { body } = await storage.getBuffer(payload.objectKey);
      const text = await extractText(body, payload.mimeType);
      await database
        .update(uploadedFiles)
        .set({ status: 'ready', extractedText: text, error: null, finishedAt: new Date() })
        .where(eq(uploadedFiles.id, payload.documentId));
      return { documentId: payload.documentId, characters: text.length };
    } catch (error) {
      const final = context.attempt >= context.maxAttempts || !(error instanceof SwitchyardError && error.isRetryable);
      if (final) {
        await database
          .update(uploadedFiles)
          .set({
            status: 'failed',
            error: error instanceof Error ? error.message.slice(0, 500) : 'text extraction failed',
            finishedAt: new Date(),
          })
          .where(eq(uploadedFiles.id, payload.documentId));
      }
      throw error;
    }
  };
}
