/** A request to a Switchyard URL with `Authorization: Bearer <key>` and, when given, a JSON body. */
export function keyRequest(baseUrl: string, key: string, method: string, path: string, body?: unknown) {
  return fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}
