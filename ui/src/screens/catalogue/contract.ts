// Temporary: replaced by lib/bindings once generated.
import type { Money } from "../../lib/types";

export interface ProductAdminView {
  id: number;
  sku: string;
  barcode: string | null;
  name: string;
  nameZh: string | null;
  price: Money;
  taxRateBp: number;
  taxInclusive: boolean;
  serialised: boolean;
  active: boolean;
}

export interface ProductInput {
  sku: string;
  barcode: string | null;
  name: string;
  nameZh: string | null;
  priceMinor: number;
  taxRateBp: number;
  taxInclusive: boolean;
  serialised: boolean;
}

export type ImportAction = "create" | "update" | "unchanged";

export interface ImportRowPlan {
  row: number;
  sku: string;
  name: string;
  action: ImportAction | null;
  errors: string[];
}

export interface ImportPreview {
  rows: ImportRowPlan[];
  creates: number;
  updates: number;
  unchanged: number;
  errorRows: number;
}

export interface ImportOutcome {
  created: number;
  updated: number;
  unchanged: number;
}
