/** One page of a list: the caller validates and caps the numbers, so no list is unbounded. */
export interface PageOptions {
  limit: number;
  offset: number;
}
