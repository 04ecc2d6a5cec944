// Helpers of the installer screen: labels, which drivers fit a device, what the assign form starts with.
import type { MessageKey } from "../../lib/i18n/index.svelte";
import type { ConfiguredView, DeviceRole, DiscoveredView, DriverOption, Parity } from "../../lib/bindings";

export const ROLES: DeviceRole[] = ["card-reader", "points-terminal", "receipt-printer"];
/** Paper widths a receipt printer takes, in millimetres. */
export const PAPER_WIDTHS = [80, 58];
/** Character sets a receipt printer can print in. */
export const CODE_PAGES = ["gb18030", "pc437"];
export const PARITIES: Parity[] = ["none", "even", "odd"];
export const BAUDS = [9600, 19200, 38400, 57600, 115200];

export function roleKey(role: DeviceRole): MessageKey {
  return `installer.role.${role}` as MessageKey;
}

export function kindKey(kind: string): MessageKey | null {
  return ["serial", "hid", "sim", "usb-printer", "cups", "network"].includes(kind)
    ? (`installer.kind.${kind}` as MessageKey)
    : null;
}

/** The drivers that can run `role` on a device of `kind`. */
export function driversFor(drivers: DriverOption[], role: DeviceRole, kind: string): string[] {
  const names = drivers.filter((d) => d.role === role).map((d) => d.name);
  if (kind === "sim") return names.filter((n) => n === "sim");
  if (kind === "serial" && role === "card-reader") return names.filter((n) => n === "idtech-enhanced");
  return names.filter((n) => n !== "sim");
}

/** The address without its query (what the simulators are matched by). */
export function baseUri(uri: string): string {
  return uri.split("?")[0];
}

export interface AssignForm {
  uri: string;
  kind: string;
  role: DeviceRole;
  driver: string;
  baud: number;
  parity: Parity;
  /** Seconds as typed; "" for the default. */
  swipeTimeout: string;
  /** Receipt printer: paper width in millimetres. */
  paperMm: number;
  /** Receipt printer: `gb18030` or `pc437`. */
  codePage: string;
}

/** The form for a network printer typed in by address (nothing to discover on a network). */
export function networkPrinterForm(): AssignForm {
  return {
    uri: "tcp://",
    kind: "network",
    role: "receipt-printer",
    driver: "escpos",
    baud: 19200,
    parity: "none",
    swipeTimeout: "",
    paperMm: 80,
    codePage: "gb18030",
  };
}

/** What the form shows for a device: its configuration if it has one, else the best guess. */
export function formFor(d: DiscoveredView, drivers: DriverOption[], configured: ConfiguredView[]): AssignForm {
  const role: DeviceRole = d.assignedRole ?? d.guessedRole ?? "card-reader";
  const current = configured.find((c) => c.role === role && baseUri(c.uri) === baseUri(d.uri));
  const fitting = driversFor(drivers, role, d.kind);
  const guess = d.guessedDriver && fitting.includes(d.guessedDriver) ? d.guessedDriver : fitting[0] ?? "";
  return {
    uri: current?.uri ?? d.uri,
    kind: d.kind,
    role,
    driver: current?.driver ?? guess,
    baud: current?.baud ?? (role === "points-terminal" ? 115200 : 9600),
    parity: current?.parity ?? "none",
    swipeTimeout: current?.swipeTimeoutS ? String(current.swipeTimeoutS) : "",
    paperMm: current?.paperMm ?? 80,
    codePage: current?.codePage ?? "gb18030",
  };
}
