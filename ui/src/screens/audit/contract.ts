// Temporary: replaced by lib/bindings once generated.
// Hand-written mirror of AuditEntryView and AuditPage (till-store::audit_view).

export type AuditEntryView = {
  id: number;
  atMs: number;
  actor: string | null;
  action: string;
  detail: string;
  chainOk: boolean;
};

export type AuditPage = {
  entries: Array<AuditEntryView>;
  chainOk: boolean;
  firstBreakId: number | null;
  total: number;
  nextBeforeId: number | null;
};
