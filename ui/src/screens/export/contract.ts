// Temporary: replaced by lib/bindings once generated.
// Hand-written mirror of ExportKind (till-store::export) and ExportStatus (till-pos::export_jobs).
import type { IpcError } from "../../lib/types";

export type ExportKind = "orders" | "lines" | "payments" | "refunds" | "points";

export type ExportStatus = {
  jobId: string;
  rowsWritten: number;
  totalRows: number;
  done: boolean;
  cancelled: boolean;
  files: Array<string>;
  error: IpcError | null;
};
