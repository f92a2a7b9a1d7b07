export interface CartLine {
  sku: string;
  quantity: number;
  unitPrice: number;
}

/** Sum of the lines' prices, after a percentage discount. */
export function cartTotal(lines: CartLine[], discountPercent = 0): number {
  const gross = lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0);
  return Math.round(gross * (100 - discountPercent)) / 100;
}

export class Cart {
  private readonly lines = new Map<string, CartLine>();

  add(sku: string, unitPrice: number, quantity = 1): void {
    const line = this.lines.get(sku);
    if (line) {
      line.quantity += quantity;
    } else {
      this.lines.set(sku, { sku, quantity, unitPrice });
    }
  }

  remove(sku: string): boolean {
    return this.lines.delete(sku);
  }

  total(discountPercent = 0): number {
    return cartTotal([...this.lines.values()], discountPercent);
  }
}
