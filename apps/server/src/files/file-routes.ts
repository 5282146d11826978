import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import {
  FileLimits,
  FileList,
  FileText,
  IdParams,
  ProjectPageQuery,
  ProjectQuery,
  UploadedFile,
} from '@switchyard/api-schemas';
import { SwitchyardError } from '@switchyard/core';
import { createFileRepository, type UploadedFileRow } from '@switchyard/db';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import type { AudioAttachments } from '../audio/audio-attachments';
import type { AudioContainer } from '../audio/audio-formats';
import { type Owner, ownerOf, sessionOnly } from '../edge/owner';
import { pageOf } from '../edge/paging';
import { authorizeRow, creationProject, listScope } from '../projects/project-access';
import { extractionLimits } from './document-extraction';
import { precheckUpload } from './extract-text';
import type { FileDependencies } from './file-dependencies';
import { sanitizeFileName, sniffFileType } from './file-types';
import { readUpload } from './read-upload';

const tags = ['Conversations'];

function publicFile(file: UploadedFileRow) {
  const { userId, objectKey: _key, extractedText, ...rest } = file;
  return { ...rest, createdBy: userId, extractedCharacters: extractedText?.length ?? null };
}

/** The file if the owner may do `action` to it: their own, or shared in a project where their role allows. */
async function requireFile(owner: Owner, id: string, action: 'read' | 'delete' = 'read'): Promise<UploadedFileRow> {
  const row = await createFileRepository(owner.db).findById(id);
  await authorizeRow(owner, row, action, 'file');
  return row as UploadedFileRow;
}

/** RFC 6266: an ASCII fallback plus the exact UTF-8 name. */
function attachmentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** Uploads to object storage with text extraction in a job; files are only ever served to their owner. */
export function registerFileRoutes(app: FastifyInstance, files: FileDependencies): void {
  /**
   * An audio attachment: stored like any file, its transcript becomes its text (see AudioAttachments).
   * Refused before anything is stored when no transcription model serves the environment or the
   * caller's audio minutes are used up; then nothing is left behind.
   */
  async function storeAudio(
    owner: Owner,
    request: FastifyRequest,
    name: string,
    bytes: Buffer,
    container: AudioContainer,
    projectId: string | null,
  ): Promise<UploadedFileRow> {
    const attachments = files.audioAttachments as AudioAttachments;
    const environment = request.principal?.environment ?? 'prod';
    attachments.assertAvailable(environment);
    const id = `file_${randomUUID().replaceAll('-', '')}`;
    const objectKey = `files/${environment}/${id}`;
    const repository = createFileRepository(owner.db);
    await files.storage.put(objectKey, bytes, { contentType: container.mimeType });
    const row = await repository.create({
      id,
      userId: owner.userId,
      projectId,
      name,
      mimeType: container.mimeType,
      bytes: bytes.length,
      objectKey,
      status: 'pending',
    });
    try {
      await attachments.transcribe({
        environment,
        userId: owner.userId,
        subject: request.principal?.subject ?? `user:${owner.userId}`,
        fileId: id,
        objectKey,
        bytes,
        container,
        requestId: request.id,
      });
    } catch (error) {
      await repository.delete(id).catch(() => {});
      await files.storage.delete(objectKey).catch(() => {});
      throw error;
    }
    return (await repository.findById(id)) ?? row;
  }

  app.register(async (scope) => {
    // Only this scope parses multipart bodies; everything else stays JSON-only.
    await scope.register(multipart, { limits: { files: 1, fields: 5, parts: 6 } });
    const config = { behaviour: sessionOnly };

    scope.post<{ Querystring: Static<typeof ProjectQuery> }>(
      '/api/files',
      {
        config,
        schema: {
          tags,
          summary:
            'Upload one file (multipart field "file"); its text is extracted in the background. ?project=<id> shares it there',
          consumes: ['multipart/form-data'],
          querystring: ProjectQuery,
          response: { 201: UploadedFile },
        },
      },
      async (request, reply) => {
        const owner = ownerOf(files.databases, request);
        const projectId = await creationProject(owner, request.query.project);
        const settings = files.settings.current();
        const maximumBytes = settings.getInteger('files.max_bytes');
        const maximumFiles = settings.getInteger('files.max_per_user');
        const held = await createFileRepository(owner.db).countForUser(owner.userId);
        if (held >= maximumFiles) {
          throw new SwitchyardError(
            'SY_ERR_QUOTA_EXCEEDED',
            `You can keep at most ${maximumFiles} files; delete some first`,
          );
        }
        const { fileName, bytes } = await readUpload(request, maximumBytes);
        if (bytes.length === 0) throw new SwitchyardError('SY_ERR_VALIDATION', 'The file is empty');
        const name = sanitizeFileName(fileName);
        const audio = files.audioAttachments?.sniff(bytes);
        if (audio && files.audioAttachments) {
          return reply.code(201).send(publicFile(await storeAudio(owner, request, name, bytes, audio, projectId)));
        }
        const mimeType = sniffFileType(bytes, name);
        // A decompression bomb (a ZIP that unpacks to gigabytes, an image header claiming a huge canvas)
        // is refused here from its directory or header alone; the job enforces time and memory too.
        precheckUpload(bytes, mimeType, extractionLimits(files.settings));
        const id = `file_${randomUUID().replaceAll('-', '')}`;
        const environment = request.principal?.environment ?? 'prod';
        // The key is ours alone: the client's file name never becomes a storage path.
        const objectKey = `files/${environment}/${id}`;
        await files.storage.put(objectKey, bytes, { contentType: mimeType });
        const row = await createFileRepository(owner.db).create({
          id,
          userId: owner.userId,
          projectId,
          name,
          mimeType,
          bytes: bytes.length,
          objectKey,
          status: 'pending',
        });
        await files.jobs.enqueue(
          'document.extract',
          { environment, documentId: id, objectKey, mimeType },
          { environment, jobId: id, trace: { requestId: request.id } },
        );
        return reply.code(201).send(publicFile(row));
      },
    );

    scope.get(
      '/api/files/limits',
      {
        config,
        schema: {
          tags,
          summary: 'The upload limits in force now (settings files.max_bytes and files.max_per_user)',
          response: { 200: FileLimits },
        },
      },
      async () => {
        const settings = files.settings.current();
        return {
          maxBytes: settings.getInteger('files.max_bytes'),
          maxFiles: settings.getInteger('files.max_per_user'),
        };
      },
    );

    scope.get<{ Querystring: { limit?: string; offset?: string; project?: string } }>(
      '/api/files',
      {
        config,
        schema: {
          tags,
          summary: "Your files (or a project's: ?project=<id>), newest first",
          querystring: ProjectPageQuery,
          response: { 200: FileList },
        },
      },
      async (request) => {
        const owner = ownerOf(files.databases, request);
        const page = pageOf(request.query);
        const rows = await createFileRepository(owner.db).list(await listScope(owner, request.query.project), page);
        return { files: rows.map(publicFile), ...page };
      },
    );

    scope.get<{ Params: Static<typeof IdParams> }>(
      '/api/files/:id',
      {
        config,
        schema: {
          tags,
          summary: 'A file: status pending | ready | failed (with error)',
          params: IdParams,
          response: { 200: UploadedFile },
        },
      },
      async (request) => publicFile(await requireFile(ownerOf(files.databases, request), request.params.id)),
    );

    scope.get<{ Params: Static<typeof IdParams> }>(
      '/api/files/:id/text',
      {
        config,
        schema: { tags, summary: 'The text extracted from a file', params: IdParams, response: { 200: FileText } },
      },
      async (request) => {
        const file = await requireFile(ownerOf(files.databases, request), request.params.id);
        if (file.status !== 'ready') throw new SwitchyardError('SY_ERR_CONFLICT', `The file is ${file.status}`);
        return { text: file.extractedText ?? '' };
      },
    );

    scope.get<{ Params: Static<typeof IdParams> }>(
      '/api/files/:id/content',
      { config, schema: { tags, summary: 'Download your file (always as an attachment)', params: IdParams } },
      async (request, reply) => {
        const file = await requireFile(ownerOf(files.databases, request), request.params.id);
        const { body } = await files.storage.get(file.objectKey);
        reply.header('content-type', file.mimeType);
        // Never rendered inline on our origin: an uploaded HTML or SVG cannot run script here.
        reply.header('content-disposition', attachmentDisposition(file.name));
        reply.header('x-content-type-options', 'nosniff');
        reply.header('cache-control', 'private, no-store');
        return reply.send(body);
      },
    );

    scope.delete<{ Params: Static<typeof IdParams> }>(
      '/api/files/:id',
      { config, schema: { tags, summary: 'Delete a file and its stored bytes', params: IdParams } },
      async (request, reply) => {
        const owner = ownerOf(files.databases, request);
        const file = await requireFile(owner, request.params.id, 'delete');
        await createFileRepository(owner.db).delete(file.id);
        await files.storage.delete(file.objectKey);
        return reply.code(204).send();
      },
    );
  });
}
