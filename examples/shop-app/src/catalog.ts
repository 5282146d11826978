/** The shop's products: an in-memory catalog (a real app would ask its database). */
export interface Product {
  readonly id: string;
  readonly name: string;
  readonly category: string;
  readonly price: number;
  readonly rating: number;
  readonly features: readonly string[];
}

export const catalog: readonly Product[] = [
  {
    id: 'lamp-1',
    name: 'Arc floor lamp',
    category: 'lighting',
    price: 129,
    rating: 4.5,
    features: ['dimmable', 'brass'],
  },
  {
    id: 'lamp-2',
    name: 'Desk lamp with USB',
    category: 'lighting',
    price: 39,
    rating: 4.1,
    features: ['usb port', 'led'],
  },
  { id: 'lamp-3', name: 'Paper pendant lamp', category: 'lighting', price: 59, rating: 4.3, features: ['rice paper'] },
  {
    id: 'kettle-1',
    name: 'Gooseneck kettle',
    category: 'kitchen',
    price: 79,
    rating: 4.7,
    features: ['temperature control'],
  },
  {
    id: 'kettle-2',
    name: 'Stovetop kettle',
    category: 'kitchen',
    price: 35,
    rating: 4.0,
    features: ['whistle', 'steel'],
  },
  { id: 'chair-1', name: 'Oak dining chair', category: 'furniture', price: 149, rating: 4.6, features: ['solid oak'] },
  {
    id: 'chair-2',
    name: 'Ergonomic office chair',
    category: 'furniture',
    price: 289,
    rating: 4.4,
    features: ['lumbar support', 'mesh'],
  },
  { id: 'mug-1', name: 'Stoneware mug', category: 'kitchen', price: 14, rating: 4.8, features: ['dishwasher safe'] },
];

export function searchProducts(query: string, maxResults: number, maxPrice?: number): Product[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return catalog
    .filter((product) => maxPrice === undefined || product.price <= maxPrice)
    .filter((product) => {
      const text = `${product.name} ${product.category} ${product.features.join(' ')}`.toLowerCase();
      return words.some((word) => text.includes(word));
    })
    .sort((a, b) => b.rating - a.rating)
    .slice(0, maxResults);
}

/** A plain-text comparison a model can read: one line per product, the best rated first. */
export function comparisonOf(products: readonly Product[]): string {
  const lines = [...products]
    .sort((a, b) => b.rating - a.rating)
    .map(
      (product) =>
        `${product.name} (${product.id}): $${product.price}, rated ${product.rating}, ${product.features.join(', ')}`,
    );
  const cheapest = [...products].sort((a, b) => a.price - b.price)[0];
  return [...lines, `Cheapest: ${cheapest?.name ?? 'none'}.`].join('\n');
}
