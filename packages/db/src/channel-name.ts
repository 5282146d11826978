/** LISTEN cannot take bind parameters, so channel names are limited to plain identifiers. */
export function assertChannelName(channel: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) {
    throw new Error(`Invalid notification channel '${channel}': use lower-case letters, digits and underscores`);
  }
}
