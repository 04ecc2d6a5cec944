// Runs `refresh` now and then every `ms` milliseconds; returns the function that stops it, so a
// component can hand it straight back from `onMount`.
export function poll(refresh: () => Promise<void>, ms: number): () => void {
  void refresh();
  const timer = setInterval(() => void refresh(), ms);
  return () => clearInterval(timer);
}
