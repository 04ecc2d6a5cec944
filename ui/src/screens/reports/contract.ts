// Temporary: replaced by lib/bindings once generated.
import type { Money } from "../../lib/types";

export type ReportKind = "x" | "z";

export interface TenderTotals {
  tender: string;
  sales: Money;
  refunds: Money;
  net: Money;
  count: number;
}

export interface TaxSummary {
  rateBp: number;
  net: Money;
  tax: Money;
  gross: Money;
  refundsTax: Money;
}

export interface CashierTotals {
  cashierId: number;
  name: string;
  orders: number;
  sales: Money;
  refunds: Money;
}

export interface DayReport {
  kind: ReportKind;
  closeId: number | null;
  businessDate: string | null;
  fromMs: number;
  toMs: number;
  generatedAtMs: number;
  orders: number;
  refundsCount: number;
  sales: Money;
  refunds: Money;
  net: Money;
  tenders: TenderTotals[];
  taxes: TaxSummary[];
  cashiers: CashierTotals[];
  pointsIssued: number;
  pointsRedeemed: number;
  cashExpected: Money;
  cashCounted: Money | null;
  cashDifference: Money | null;
  closedBy: string | null;
}

export interface ClosedDay {
  closeId: number;
  businessDate: string;
  closedAtMs: number;
  closedBy: string;
  net: Money;
  cashDifference: Money;
}

export interface SavedFile {
  path: string;
  bytes: number;
}
