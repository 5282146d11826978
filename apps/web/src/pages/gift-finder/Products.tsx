import { useId, useState } from 'react';
import { mayLoadImage } from '../../components/MarkdownImage';
import {
  formatPrice,
  type GiftProduct,
  type GiftSession,
  giftProductImageUrl,
  marketplaceName,
  safeLink,
} from '../../lib/gift-finder';
import { formatNumber, useTranslation } from '../../lib/i18n';

/** Where the picture loads from: this origin's and data: URLs as they are, a marketplace's through the server's proxy. */
function imageSource(product: GiftProduct, sessionId: string): string | null {
  if (!product.image) return null;
  if (mayLoadImage(product.image)) return product.image;
  return /^https?:\/\//i.test(product.image) ? giftProductImageUrl(sessionId, product.id) : null;
}

/**
 * A product's picture. The page's Content-Security-Policy allows images from this origin only, so a
 * marketplace's image comes through the server (which serves it to the session's owner only, and
 * only real images); one that cannot be served shows a placeholder with the marketplace's name.
 */
function ProductImage({ product, sessionId }: { product: GiftProduct; sessionId: string }) {
  const src = imageSource(product, sessionId);
  const [failed, setFailed] = useState<string | null>(null);
  if (src && failed !== src) {
    return (
      <img
        src={src}
        onError={() => setFailed(src)}
        alt=""
        loading="lazy"
        referrerPolicy="no-referrer"
        className="h-32 w-full rounded-md bg-slate-100 object-contain dark:bg-slate-800"
      />
    );
  }
  return (
    <div
      aria-hidden="true"
      className="flex h-32 w-full items-center justify-center rounded-md bg-slate-100 text-sm text-slate-500 dark:bg-slate-800 dark:text-slate-400"
    >
      {marketplaceName(product.marketplace)}
    </div>
  );
}

export function ProductCard({
  product,
  sessionId,
  rank,
  reason,
}: {
  product: GiftProduct;
  sessionId: string;
  rank?: number;
  reason?: string;
}) {
  const { t } = useTranslation();
  const ids = useId();
  const href = safeLink(product.url);
  return (
    <article
      aria-labelledby={`${ids}-title`}
      data-product={product.id}
      className="flex h-full flex-col gap-2 rounded-lg border border-slate-200 p-3 dark:border-slate-800"
    >
      <ProductImage product={product} sessionId={sessionId} />
      <h4 id={`${ids}-title`} className="break-words text-sm font-medium">
        {rank !== undefined && <span className="mr-1 text-indigo-700 dark:text-indigo-300">#{rank}</span>}
        {product.title}
      </h4>
      <p className="flex flex-wrap items-baseline gap-x-3 gap-y-1 text-sm">
        <span className="font-semibold" data-testid="price">
          {formatPrice(product.price, product.currency)}
        </span>
        <span className="text-slate-600 dark:text-slate-300">{marketplaceName(product.marketplace)}</span>
        {product.rating !== null && Number.isFinite(product.rating) && (
          <span
            className="text-amber-700 dark:text-amber-400"
            title={t('gift.products.rated', { rating: formatNumber(product.rating) })}
          >
            <span aria-hidden="true">★ {formatNumber(product.rating)}</span>
            <span className="sr-only">{t('gift.products.rated', { rating: formatNumber(product.rating) })}</span>
          </span>
        )}
      </p>
      {reason && <p className="break-words text-sm text-slate-700 dark:text-slate-200">{reason}</p>}
      {href && (
        <a
          href={href}
          target="_blank"
          rel="noopener noreferrer"
          className="mt-auto text-sm text-indigo-700 underline dark:text-indigo-300"
        >
          {t('gift.products.viewOn', { marketplace: marketplaceName(product.marketplace) })}
          <span className="sr-only">{t('gift.products.viewOnHint', { title: product.title })}</span>
        </a>
      )}
    </article>
  );
}

const gridClass = 'grid grid-cols-1 gap-3 sm:grid-cols-2 xl:grid-cols-3';

/** Products as they arrive; once ranked, the ranked list (best first, with reasons) and the rest folded away. */
export function Products({ session }: { session: GiftSession }) {
  const { t } = useTranslation();
  const ids = useId();
  const byId = new Map(session.products.map((product) => [product.id, product]));
  if (session.ranking) {
    const ranked = session.ranking.flatMap((entry) => {
      const product = byId.get(entry.product_id);
      return product ? [{ entry, product }] : [];
    });
    const rankedIds = new Set(ranked.map(({ product }) => product.id));
    const others = session.products.filter((product) => !rankedIds.has(product.id));
    return (
      <section aria-labelledby={`${ids}-title`} className="space-y-3">
        <h3 id={`${ids}-title`} className="font-semibold">
          {t('gift.products.best')}
        </h3>
        {ranked.length === 0 ? (
          <p className="text-sm">{t('gift.products.noneMatched')}</p>
        ) : (
          <ol aria-label={t('gift.products.ranked')} className={gridClass}>
            {ranked.map(({ entry, product }, index) => (
              <li key={product.id}>
                <ProductCard product={product} sessionId={session.id} rank={index + 1} reason={entry.reason} />
              </li>
            ))}
          </ol>
        )}
        {others.length > 0 && (
          <details>
            <summary className="cursor-pointer text-sm">
              {t('gift.products.othersFound', { count: others.length })}
            </summary>
            <ul aria-label={t('gift.products.others')} className={`${gridClass} mt-2`}>
              {others.map((product) => (
                <li key={product.id}>
                  <ProductCard product={product} sessionId={session.id} />
                </li>
              ))}
            </ul>
          </details>
        )}
      </section>
    );
  }
  if (session.products.length === 0) return null;
  return (
    <section aria-labelledby={`${ids}-title`} className="space-y-3">
      <h3 id={`${ids}-title`} className="font-semibold">
        {t('gift.products.foundSoFar', { count: session.products.length })}
      </h3>
      <ul aria-label={t('gift.products.found')} className={gridClass}>
        {session.products.map((product) => (
          <li key={product.id}>
            <ProductCard product={product} sessionId={session.id} />
          </li>
        ))}
      </ul>
    </section>
  );
}
