// biome-ignore lint/suspicious/noExplicitAny: tests walk arbitrary JSON bodies and assert on them
export type Json = any;

/** A response body as JSON, typed loosely so assertions can reach into it. */
export const readJson = (response: Response): Promise<Json> => response.json() as Promise<Json>;
