/** Admin tables: a little room between columns so numbers do not run into each other at phone width. */
export const tableClass =
  'w-full text-left text-sm [&_td]:py-0.5 [&_td]:pr-3 [&_th]:pr-3 [&_thead_th]:align-bottom [&_tbody_tr]:border-t [&_tbody_tr]:border-slate-100 dark:[&_tbody_tr]:border-slate-800';
