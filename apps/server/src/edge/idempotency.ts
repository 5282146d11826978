import { SwitchyardError } from '@switchyard/core';
import type { IdempotencyRepository } from '@switchyard/db';
import { idempotencyRequestHash } from '@switchyard/jobs';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface WorkResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * `Idempotency-Key` for POSTs that create work: the same key and body replays
 * the first response; the same key while the first request still runs is 409;
 * the same key with another body is 422. Keys are scoped to the caller and kept
 * for at least 24 hours. Without the header the work simply runs.
 */
export async function runIdempotent(
  idempotency: IdempotencyRepository,
  request: FastifyRequest,
  reply: FastifyReply,
  work: () => Promise<WorkResponse>,
): Promise<FastifyReply> {
  const header = request.headers['idempotency-key'];
  const send = (response: WorkResponse) =>
    reply
      .code(response.status)
      .headers(response.headers ?? {})
      .send(response.body);
  if (header === undefined) return send(await work());
  const key = Array.isArray(header) ? header[0] : header;
  if (!key || key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) {
    throw new SwitchyardError('SY_ERR_VALIDATION', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
  }
  const scope = `${request.principal?.environment ?? 'prod'}:${request.principal?.subject ?? `ip:${request.ip}`}`;
  const hash = idempotencyRequestHash({
    method: request.method,
    path: request.routeOptions.url ?? request.url,
    body: request.body,
  });
  const started = await idempotency.begin(scope, key, hash);
  switch (started.state) {
    case 'replay':
      reply.header('idempotent-replayed', 'true');
      return send({
        status: started.response.status,
        body: started.response.body,
        headers: started.response.headers ?? {},
      });
    case 'in-progress':
      throw new SwitchyardError('SY_ERR_CONFLICT', 'A request with this Idempotency-Key is still being processed', {
        retryAfterSeconds: 1,
      });
    case 'mismatch':
      throw new SwitchyardError(
        'SY_ERR_IDEMPOTENCY_MISMATCH',
        'This Idempotency-Key was used with a different request body',
      );
  }
  let response: WorkResponse;
  try {
    response = await work();
  } catch (error) {
    await idempotency.abandon(scope, key).catch(() => {});
    throw error;
  }
  await idempotency.complete(scope, key, {
    status: response.status,
    body: response.body,
    headers: response.headers ?? {},
  });
  return send(response);
}
