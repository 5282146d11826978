import { expect } from 'vitest';

/**
 * Sets one admin setting on a running test server through PUT /v1/admin/settings/:key, as an admin
 * would, and expects it to be accepted (the answer's body is the message when it is not).
 */
export async function setSetting(
  server: { readonly url: string },
  adminKey: string,
  key: string,
  value: number,
): Promise<void> {
  const response = await fetch(`${server.url}/v1/admin/settings/${key}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ value }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
}
