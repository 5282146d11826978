/** See current-bundle.js: the bundle's entry file when it matches the sources on disk, else null. */
export declare function currentBundle(serverDir?: string): string | null;
