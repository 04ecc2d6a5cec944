// Temporary: replaced by lib/bindings once generated.
// Hand-written mirror of the history / order detail types in /contract.md (till-store::history).
import type { Money, Receipt } from "../../lib/types";

export type HistoryKind = "all" | "orders" | "payments" | "refunds" | "points" | "sync";

export type HistorySort = "newest" | "oldest" | "amount_desc" | "amount_asc";

/** Every field is optional on the Rust side (serde default); the UI sends them all, null when unset. */
export type HistoryQuery = {
  kind: HistoryKind;
  sort: HistorySort;
  fromMs: number | null;
  toMs: number | null;
  cashierId: number | null;
  tender: string | null;
  status: string | null;
  minAmountMinor: number | null;
  maxAmountMinor: number | null;
  cardLast4: string | null;
  customer: string | null;
  product: string | null;
  lineCode: string | null;
  deviceId: string | null;
  orderNo: string | null;
};

export type HistoryRow = {
  kind: HistoryKind;
  id: number;
  orderId: number | null;
  orderNo: string | null;
  atMs: number;
  cashier: string | null;
  tender: string | null;
  amount: Money | null;
  status: string;
  cardMasked: string | null;
  customerRef: string | null;
  summary: string;
};

export type HistoryPage = { rows: Array<HistoryRow>; nextCursor: string | null };

export type HistoryCount = { count: number; capped: boolean };

export type PaymentLine = {
  tender: string;
  amount: Money;
  cardMasked: string | null;
  cardBrand: string | null;
  authCode: string | null;
};

export type RefundLineView = { lineNo: number; name: string; quantity: number; amount: Money };

export type RefundView = {
  id: number;
  refundNo: string;
  atMs: number;
  amount: Money;
  tender: string;
  reason: string | null;
  status: string;
  lines: Array<RefundLineView>;
};

export type PointsEntryView = {
  id: number;
  atMs: number;
  kind: string;
  points: number;
  status: string;
  customerRef: string | null;
};

export type SyncEventView = {
  id: number | string;
  kind: string;
  state: string;
  attempts: number;
  lastError: string | null;
  atMs: number;
};

export type OrderAuditEntry = { id: number; atMs: number; actor: string | null; action: string; detail: string };

export type OrderExtras = {
  status: string;
  payments: Array<PaymentLine>;
  refunds: Array<RefundView>;
  points: Array<PointsEntryView>;
  sync: Array<SyncEventView>;
  audit: Array<OrderAuditEntry>;
};

export type OrderDetail = { receipt: Receipt; extras: OrderExtras };
