// Temporary: replaced by lib/bindings once generated.
import type { Money } from "../../lib/types";

export interface ChartPoint {
  startMs: number;
  label: string;
  sales: Money;
  orders: number;
  previousSales: Money;
}

export interface TopProduct {
  sku: string;
  name: string;
  quantity: number;
  sales: Money;
}

export interface ChartData {
  bucket: string;
  points: ChartPoint[];
  topProducts: TopProduct[];
  totalSales: Money;
  previousTotalSales: Money;
  refundRateBp: number;
  previousRefundRateBp: number;
}
