import { customType } from 'drizzle-orm/pg-core';

/**
 * Both drivers already parse jsonb into JavaScript values. Drizzle's own jsonb
 * column parses strings a second time, which turns a stored string such as
 * "123" into the number 123, so values pass through untouched here.
 */
export const jsonValue = customType<{ data: unknown; driverData: unknown }>({
  dataType: () => 'jsonb',
  toDriver: (value) => JSON.stringify(value),
  fromDriver: (value) => value,
});
