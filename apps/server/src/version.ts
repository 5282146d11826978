/** Its own module so `switchyard --version` and `--help` load nothing else. */
export const version = '0.1.0';
