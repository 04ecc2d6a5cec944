// The device a cashier chose to refund from the device screen: the refund screen opens with it
// in its device lookup (and empties this).
export const deviceHandoff = $state<{ identifier: string | null }>({ identifier: null });
