// Keyboard helpers: a normalised name for a key press ("F2", "Ctrl+L", "Alt+L", "Enter").

export function keyCombo(e: KeyboardEvent): string {
  const mods: string[] = [];
  if (e.ctrlKey || e.metaKey) mods.push("Ctrl");
  if (e.altKey) mods.push("Alt");
  let base: string;
  if ((e.ctrlKey || e.metaKey || e.altKey) && e.code.startsWith("Key")) {
    // With modifiers, e.key may be a composed character; use the physical key.
    base = e.code.slice(3);
  } else if (e.key.length === 1) {
    base = e.key === " " ? "Space" : e.key.toUpperCase();
  } else {
    if (e.shiftKey) mods.push("Shift");
    base = e.key;
  }
  return [...mods, base].join("+");
}

/** True when the event comes from a field where the key is text the person is typing. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !["button", "checkbox", "radio", "submit", "reset"].includes(target.type);
  }
  return false;
}

export function isFunctionKey(e: KeyboardEvent): boolean {
  return /^F\d{1,2}$/.test(e.key);
}
