import multipart from '@fastify/multipart';
import {
  AudioJob,
  AudioJobParams,
  AudioQuota,
  AudioRecordingList,
  AudioSpeechRequest,
  ErrorResponse,
  OpenAIErrorResponse,
  PageQuery,
} from '@switchyard/api-schemas';
import { SwitchyardError } from '@switchyard/core';
import { createAudioRecordingRepository, createConversationRepository } from '@switchyard/db';
import type { TranscriptionRequest } from '@switchyard/providers';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { clientDisconnectSignal } from '../edge/client-disconnect';
import { pageOf } from '../edge/paging';
import type { RouteBehaviour } from '../edge/principal';
import { type SpooledUpload, spoolUploadForm } from '../files/read-upload';
import { ownedJob, streamJobEvents } from '../jobs/job-http';
import type { AudioDependencies } from './audio-dependencies';
import { audioSecondsOf, requireAudio } from './audio-formats';
import { type AudioJobResult, audioObjectKey, describeAudioJob, newAudioJobId } from './audio-job';
import { deleteRecording, describeRecording } from './audio-recordings';
import { givingBackOnFailure, transcribeReserved } from './metered-transcription';
import { parseTranscriptionForm } from './transcription-form';

/** Transcription is an input to chat: the chat scope and the chat rate limit of the key's environment. */
const audioBehaviour: RouteBehaviour = { auth: 'optional', rateLimit: 'chat', scope: 'chat', openaiErrors: true };
const jobBehaviour: RouteBehaviour = { auth: 'optional', scope: 'chat' };
const tags = ['OpenAI-compatible'];
const errorResponses = {
  400: OpenAIErrorResponse,
  401: OpenAIErrorResponse,
  404: OpenAIErrorResponse,
  413: OpenAIErrorResponse,
  429: OpenAIErrorResponse,
};

type Task = 'transcribe' | 'translate';

function callerOf(request: FastifyRequest) {
  return {
    environment: request.principal?.environment ?? 'prod',
    subject: request.principal?.subject ?? `ip:${request.ip}`,
    apiKeyId: request.principal?.keyId ?? null,
    userId: request.principal?.userId ?? null,
  };
}

/** The chat a transcript goes to: the caller's own, in the caller's environment; anything else is 404. */
async function requireOwnChat(dependencies: AudioDependencies, caller: ReturnType<typeof callerOf>, id: string) {
  const chat = caller.userId
    ? await createConversationRepository(dependencies.databases[caller.environment].db).findForUser(id, caller.userId)
    : undefined;
  if (!chat || !caller.userId) {
    throw new SwitchyardError('SY_ERR_NOT_FOUND', 'No such chat', { details: { param: 'conversation_id' } });
  }
  return { conversationId: chat.id, userId: caller.userId };
}

async function recognise(dependencies: AudioDependencies, task: Task, request: FastifyRequest, reply: FastifyReply) {
  const settings = dependencies.settings.current();
  const maxBytes = settings.getInteger('audio.max_bytes');
  const maxSyncBytes = settings.getInteger('audio.max_sync_bytes');
  // Spooled to a temporary file as it arrives: a long recording never sits whole in the heap.
  const { upload, fields } = await spoolUploadForm(request, maxBytes, {
    tooLarge: (limit) =>
      new SwitchyardError(
        'SY_ERR_PAYLOAD_TOO_LARGE',
        `Audio files may be at most ${limit} bytes (setting audio.max_bytes)`,
      ),
  });
  try {
    return await recogniseUpload(dependencies, task, request, reply, upload, fields, maxSyncBytes);
  } finally {
    await upload.dispose().catch(() => {});
  }
}

async function recogniseUpload(
  dependencies: AudioDependencies,
  task: Task,
  request: FastifyRequest,
  reply: FastifyReply,
  upload: SpooledUpload,
  fields: Readonly<Record<string, readonly string[]>>,
  maxSyncBytes: number,
) {
  const caller = callerOf(request);
  const form = parseTranscriptionForm(fields);
  if (upload.size === 0) {
    throw new SwitchyardError('SY_ERR_VALIDATION', 'The audio file is empty', { details: { param: 'file' } });
  }
  // The container decides, never the client's file name or type; the upstream gets a name of ours.
  const container = requireAudio(upload.head);
  const model = dependencies.audioModels.resolve(form.model, 'transcription', caller.environment);
  const plan = request.plan?.plan;
  if (plan?.models && !plan.models.has(model.id)) {
    throw new SwitchyardError(
      'SY_ERR_MODEL_NOT_ALLOWED',
      `The model '${model.id}' is not included in plan '${plan.id}'`,
      {
        details: { param: 'model' },
      },
    );
  }
  request.usageInfo = { model: model.id, promptTokens: null, completionTokens: null, audioSeconds: null };
  const asynchronous = form.async === true;
  if (!asynchronous && upload.size > maxSyncBytes) {
    throw new SwitchyardError(
      'SY_ERR_PAYLOAD_TOO_LARGE',
      `Audio over ${maxSyncBytes} bytes is not transcribed while the request waits: send it again with the ` +
        'form field async=true to transcribe it in a job (202, then GET /v1/audio/jobs/{id})',
      { details: { param: 'file', maxSyncBytes } },
    );
  }
  const chat =
    form.conversation_id === undefined ? null : await requireOwnChat(dependencies, caller, form.conversation_id);
  // Taken now, atomically: parallel requests cannot pass the limit between them. Settled to the real length after.
  const reservation = await dependencies.audioQuota.reserve(
    caller.environment,
    caller.subject,
    audioSecondsOf(upload.head, undefined, upload.size),
    plan?.audioMinutesPerDay ?? null,
  );
  const format = form.response_format ?? 'json';
  const fileName = `audio.${container.extension}`;

  if (asynchronous) {
    const id = newAudioJobId();
    const objectKey = audioObjectKey(caller.environment, id);
    const recordings = createAudioRecordingRepository(dependencies.databases[caller.environment].db);
    const job = await givingBackOnFailure(dependencies.audioQuota, reservation, async () => {
      // Not queued, not kept: a recording without its job would never finish, so nobody could delete it.
      const forget = async () => {
        await recordings.delete(id).catch(() => {});
        await dependencies.storage.delete(objectKey).catch(() => {});
      };
      await dependencies.storage.put(objectKey, upload.stream(), {
        contentType: container.mimeType,
        contentLength: upload.size,
      });
      try {
        await recordings.create({
          id,
          environment: caller.environment,
          subject: caller.subject,
          userId: chat?.userId ?? caller.userId,
          conversationId: chat?.conversationId ?? null,
          objectKey,
          mimeType: container.mimeType,
          bytes: upload.size,
        });
        return await dependencies.jobs.enqueue(
          'audio.transcribe',
          {
            environment: caller.environment,
            subject: caller.subject,
            apiKeyId: caller.apiKeyId,
            task,
            model: model.id,
            objectKey,
            fileName,
            mimeType: container.mimeType,
            bytes: upload.size,
            format,
            ...(form.language === undefined || task === 'translate' ? {} : { language: form.language }),
            ...(form.prompt === undefined ? {} : { prompt: form.prompt }),
            ...(form.temperature === undefined ? {} : { temperature: form.temperature }),
            ...(form.timestamp_granularities === undefined
              ? {}
              : { timestampGranularities: form.timestamp_granularities }),
            quota: { day: reservation.day, seconds: reservation.seconds },
            ...(chat ? { conversationId: chat.conversationId, userId: chat.userId } : {}),
          },
          { environment: caller.environment, jobId: id, trace: { requestId: request.id } },
        );
      } catch (error) {
        await forget();
        throw error;
      }
    });
    const body = describeAudioJob(job);
    return reply.code(202).header('location', String(body.status_url)).send(body);
  }

  const bytes = await upload.read();
  const transcriptionRequest: TranscriptionRequest = {
    file: { bytes, fileName, mimeType: container.mimeType },
    format,
    ...(form.language === undefined ? {} : { language: form.language }),
    ...(form.prompt === undefined ? {} : { prompt: form.prompt }),
    ...(form.temperature === undefined ? {} : { temperature: form.temperature }),
    ...(form.timestamp_granularities === undefined ? {} : { timestampGranularities: form.timestamp_granularities }),
  };
  const signal = clientDisconnectSignal(request, reply);
  const { transcript, seconds } = await transcribeReserved(dependencies.audioQuota, reservation, bytes, () =>
    task === 'translate'
      ? model.provider.translate(transcriptionRequest, { signal })
      : model.provider.transcribe(transcriptionRequest, { signal }),
  );
  request.usageInfo.audioSeconds = seconds;
  return reply.type(transcript.contentType).send(transcript.body);
}

const formDescription =
  "multipart/form-data like OpenAI's: `file` (WAV, MP3, Ogg/Opus, FLAC, WebM or MP4/M4A, sniffed from its bytes), " +
  '`model` (an audio model of kind transcription; the first one if omitted), `language`, `prompt`, `temperature`, ' +
  '`response_format` (json | text | srt | vtt | verbose_json) and `timestamp_granularities[]`. Send `async=true` ' +
  '(needed above the setting audio.max_sync_bytes) to get 202 with a job instead. Counts against ' +
  'audio.max_minutes_per_day.<env>. Not audio: 400 SY_ERR_UNSUPPORTED_AUDIO.';

/** OpenAI's audio API (transcriptions, translations, speech) plus jobs for long recordings. */
export function registerAudioRoutes(app: FastifyInstance, dependencies: AudioDependencies): void {
  app.register(async (scope) => {
    // Only this scope (and the files one) parses multipart bodies.
    await scope.register(multipart, { limits: { files: 1, fields: 16, parts: 17 } });

    scope.post(
      '/v1/audio/transcriptions',
      {
        config: { behaviour: audioBehaviour },
        schema: {
          tags,
          summary: 'Transcribe audio into text in its language',
          description: formDescription,
          consumes: ['multipart/form-data'],
          security: [{ bearer: [] }, {}],
          response: { ...errorResponses, 202: AudioJob },
        },
      },
      async (request, reply) => recognise(dependencies, 'transcribe', request, reply),
    );

    scope.post(
      '/v1/audio/translations',
      {
        config: { behaviour: audioBehaviour },
        schema: {
          tags,
          summary: 'Translate speech into English text',
          description: `${formDescription} \`language\` is ignored: the text is always English.`,
          consumes: ['multipart/form-data'],
          security: [{ bearer: [] }, {}],
          response: { ...errorResponses, 202: AudioJob },
        },
      },
      async (request, reply) => recognise(dependencies, 'translate', request, reply),
    );
  });

  app.post<{ Body: AudioSpeechRequest }>(
    '/v1/audio/speech',
    {
      config: { behaviour: audioBehaviour },
      schema: {
        tags,
        summary: 'Speak text (text to speech)',
        description:
          'OpenAI speech request; answers the audio bytes (`response_format` mp3 by default). Needs an audio model of ' +
          'kind speech behind an OpenAI-compatible server.',
        security: [{ bearer: [] }, {}],
        body: AudioSpeechRequest,
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const { environment } = callerOf(request);
      const body = request.body;
      const model = dependencies.audioModels.resolve(body.model, 'speech', environment);
      request.usageInfo = { model: model.id, promptTokens: null, completionTokens: null };
      const speech = await model.provider.speak(
        {
          input: body.input,
          voice: body.voice,
          format: body.response_format ?? 'mp3',
          ...(body.speed === undefined ? {} : { speed: body.speed }),
        },
        { signal: clientDisconnectSignal(request, reply) },
      );
      return reply.type(speech.contentType).header('x-content-type-options', 'nosniff').send(speech.bytes);
    },
  );

  app.get<{ Params: Static<typeof AudioJobParams> }>(
    '/v1/audio/jobs/:id',
    {
      config: { behaviour: jobBehaviour },
      schema: {
        tags: ['Audio'],
        summary: 'A transcription job: its status, and the transcript once completed',
        description: 'Only the caller that started it sees it (same key or client, same environment); others get 404.',
        security: [{ bearer: [] }, {}],
        params: AudioJobParams,
        response: { 200: AudioJob, 404: ErrorResponse },
      },
    },
    async (request) => {
      const job = await ownedJob(dependencies.jobs, request, request.params.id, 'audio.transcribe');
      const described = describeAudioJob(job);
      const result = job.status === 'completed' ? (job.result as AudioJobResult | null) : null;
      if (!result) return described;
      const { body } = await dependencies.storage.getBuffer(result.transcriptKey);
      return { ...described, transcript: body.toString('utf8') };
    },
  );

  app.get<{ Params: Static<typeof AudioJobParams> }>(
    '/v1/audio/jobs/:id/events',
    {
      config: { behaviour: jobBehaviour },
      schema: {
        tags: ['Audio'],
        summary: 'Server-sent events of a transcription job: status, progress, retrying, completed | failed',
        security: [{ bearer: [] }, {}],
        params: AudioJobParams,
      },
    },
    async (request, reply) => {
      const job = await ownedJob(dependencies.jobs, request, request.params.id, 'audio.transcribe');
      await streamJobEvents(dependencies.jobs, request, reply, job, describeAudioJob);
    },
  );

  app.get<{ Querystring: { limit?: string; offset?: string } }>(
    '/v1/audio/recordings',
    {
      config: { behaviour: jobBehaviour },
      schema: {
        tags: ['Audio'],
        summary: "The caller's stored recordings (async transcriptions), newest first",
        description:
          'Each is kept until its owner deletes it or, once its job finished, for audio.recording_retention_days.',
        security: [{ bearer: [] }, {}],
        querystring: PageQuery,
        response: { 200: AudioRecordingList },
      },
    },
    async (request) => {
      const { environment, subject } = callerOf(request);
      const page = pageOf(request.query);
      const rows = await createAudioRecordingRepository(dependencies.databases[environment].db).listForSubject(
        subject,
        page,
      );
      const retentionDays = dependencies.settings.current().getInteger('audio.recording_retention_days');
      return { object: 'list', data: rows.map((row) => describeRecording(row, retentionDays)), ...page };
    },
  );

  app.delete<{ Params: Static<typeof AudioJobParams> }>(
    '/v1/audio/recordings/:id',
    {
      config: { behaviour: jobBehaviour },
      schema: {
        tags: ['Audio'],
        summary: 'Delete a stored recording and its transcript (from object storage too)',
        description:
          'Only its owner (same key or client, same environment) can; anyone else gets 404. A recording whose job has not finished is 409: wait for it. A message it became stays in the chat.',
        security: [{ bearer: [] }, {}],
        params: AudioJobParams,
        response: { 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { environment, subject } = callerOf(request);
      const row = await createAudioRecordingRepository(dependencies.databases[environment].db).findForSubject(
        request.params.id,
        subject,
      );
      if (!row) throw new SwitchyardError('SY_ERR_NOT_FOUND', `No recording with id '${request.params.id}'`);
      if (row.status === 'queued') {
        throw new SwitchyardError(
          'SY_ERR_CONFLICT',
          'The recording is still being transcribed; delete it once its job finished',
        );
      }
      await deleteRecording(dependencies.databases, dependencies.storage, row);
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/audio/quota',
    {
      config: { behaviour: jobBehaviour },
      schema: {
        tags: ['Audio'],
        summary: "The caller's audio minutes today in its environment",
        security: [{ bearer: [] }, {}],
        response: { 200: AudioQuota },
      },
    },
    async (request) => {
      const { environment, subject } = callerOf(request);
      const status = await dependencies.audioQuota.status(
        environment,
        subject,
        request.plan?.plan.audioMinutesPerDay ?? null,
      );
      const usedMinutes = Math.round((status.usedSeconds / 60) * 100) / 100;
      return {
        environment,
        used_minutes: usedMinutes,
        limit_minutes: status.limitMinutes,
        remaining_minutes: Math.max(0, status.limitMinutes - usedMinutes),
        resets_at: status.resetsAt.toISOString(),
      };
    },
  );
}
