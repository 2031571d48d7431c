import type { EvaluatedFlags } from '../../../shared/flags/evaluated-flags.ts';
import type { Sort } from './cursor.ts';

/** The flag that picks the order of a search without text or sort: an A/B experiment on browsing. */
export const BROWSE_ORDER_FLAG = 'catalog-browse-order';

/** The orders a browse may take: newest first (control) or cheapest first. */
export type BrowseSort = Extract<Sort, 'newest' | 'price_asc'>;
const browseSorts: readonly BrowseSort[] = ['newest', 'price_asc'];

/** The order without the flag, or when it names an order this build does not know. */
export const DEFAULT_BROWSE_SORT: BrowseSort = 'newest';

/** The browse order the request's flags give, and the variant to record as the user's exposure. */
export function browseOrderOf(flags: EvaluatedFlags | undefined): { sort: BrowseSort; variant: string | undefined } {
  const flag = flags?.[BROWSE_ORDER_FLAG];
  if (!flag || !(browseSorts as readonly unknown[]).includes(flag.value)) {
    return { sort: DEFAULT_BROWSE_SORT, variant: undefined };
  }
  return { sort: flag.value as BrowseSort, variant: flag.variant };
}

/** Whether a sort is one a browse can take (a cursor of such a page continues in its own order). */
export const isBrowseSort = (sort: Sort): sort is BrowseSort => (browseSorts as readonly Sort[]).includes(sort);
