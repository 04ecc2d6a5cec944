// The Services screen's conversation survives a trip to the cashier screen and back (Add to
// sale, then Alt+S again), for as long as the window is open.
export const servicesState = $state<{ conversationId: string | null }>({ conversationId: null });
